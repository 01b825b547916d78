package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/incident"
)

// upload posts a multipart form: fields in order, then the file (none when
// name is empty).
func (b *browser) upload(path string, fields [][2]string, name string,
	content []byte) (*http.Response, string) {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			b.t.Fatal(err)
		}
	}
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			b.t.Fatal(err)
		}
		fw.Write(content)
	}
	mw.Close()
	req, err := http.NewRequestWithContext(b.t.Context(), "POST", b.base+path, &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return res, readBody(b.t, res)
}

// evidenceOf lists the incident's evidence from the store's service.
func (e *env) evidenceOf(t *testing.T, incID int64) []evidence.Evidence {
	t.Helper()
	items, err := e.ev.List(t.Context(), incID)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// uploadFixture is an incident and a responder's session, with the token
// fields of the upload form.
type uploadFixture struct {
	e       *env
	incID   int64
	page    string
	r       *browser
	fields  [][2]string
	content []byte
	hash    string
}

func newUploadFixture(t *testing.T) *uploadFixture {
	t.Helper()
	e := newEnv(t, nil)
	_, incID := e.seed(t)
	f := &uploadFixture{e: e, incID: incID, page: fmt.Sprintf("/incidents/%d", incID),
		r:       e.signIn(t, auth.RoleResponder),
		content: []byte("Nov 30 02:14:07 dc01 sshd[812]: Accepted password for root\n")}
	sum := sha256.Sum256(f.content)
	f.hash = hex.EncodeToString(sum[:])
	f.fields = [][2]string{{"csrf_token", f.r.csrf(f.page)}, {"description", "auth.log of DC01"},
		{"source", "dc01:/var/log/auth.log"}, {"reason", "login by root"}}
	return f
}

// upload uploads the content as auth.log and returns its evidence ID.
func (f *uploadFixture) upload(t *testing.T) int64 {
	t.Helper()
	res, body := f.r.upload(f.page+"/evidence", f.fields, "auth.log", f.content)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: status %d: %s", res.StatusCode, body)
	}
	items := f.e.evidenceOf(t, f.incID)
	if len(items) != 1 || items[0].SHA256 != f.hash || items[0].Size != int64(len(f.content)) ||
		items[0].AcquiredFrom != "dc01:/var/log/auth.log" ||
		items[0].AcquiredBy != "user:u-responder" || items[0].FileName != "auth.log" {
		t.Fatalf("stored evidence %+v, want auth.log with hash %s", items, f.hash)
	}
	return items[0].ID
}

func TestEvidenceUploadRefused(t *testing.T) {
	f := newUploadFixture(t)
	refused := []struct {
		what   string
		fields [][2]string
		file   string
		status int
	}{
		{"no token", f.fields[1:], "auth.log", http.StatusForbidden},
		{"wrong token", append([][2]string{{"csrf_token", "nope"}}, f.fields[1:]...),
			"auth.log", http.StatusForbidden},
		{"token not first", append(f.fields[1:2:2], f.fields[0]), "auth.log",
			http.StatusForbidden},
		{"no file", f.fields, "", http.StatusUnprocessableEntity},
	}
	for _, c := range refused {
		res, body := f.r.upload(f.page+"/evidence", c.fields, c.file, f.content)
		if res.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d: %.500s", c.what, res.StatusCode, c.status, body)
		}
	}
	if n := len(f.e.evidenceOf(t, f.incID)); n != 0 {
		t.Fatalf("%d evidence after refused uploads, want 0", n)
	}
	f.upload(t)
}

func TestEvidenceUploadAndDownload(t *testing.T) {
	f := newUploadFixture(t)
	ev := f.upload(t)
	_, body := f.r.get(f.page)
	for _, want := range []string{f.hash, "dc01:/var/log/auth.log", "login by root",
		fmt.Sprintf(`id="download-%d"`, ev)} {
		if !strings.Contains(body, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}

	// An executive downloads it (recorded with the reason), uploads nothing.
	x := f.e.signIn(t, auth.RoleExecutive)
	_, body = x.get(f.page)
	if strings.Contains(body, `id="upload-evidence"`) ||
		strings.Contains(body, "Record a transfer") {
		t.Error("executive sees the upload or custody forms")
	}
	dl := fmt.Sprintf("%s/evidence/%d/download", f.page, ev)
	res, body := x.post(dl, url.Values{"csrf_token": {x.csrf(f.page)}})
	wantPage(t, "download without a reason", res, body, http.StatusUnprocessableEntity,
		"reason: say why")
	res, body = x.post(dl, url.Values{"csrf_token": {x.csrf(f.page)},
		"reason": {"briefing the board"}})
	got := sha256.Sum256([]byte(body))
	if res.StatusCode != http.StatusOK || body != string(f.content) ||
		res.Header.Get("X-Vigil-SHA256") != f.hash || hex.EncodeToString(got[:]) != f.hash ||
		!strings.Contains(res.Header.Get("Content-Disposition"), `filename=auth.log`) ||
		!strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("download: status %d, headers %v, body %q", res.StatusCode, res.Header, body)
	}
	_, log, err := f.e.ev.Get(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	last := log[len(log)-1]
	if last.Action != evidence.Accessed || last.By != "user:u-executive" ||
		last.Reason != "briefing the board" {
		t.Errorf("last custody entry %+v, want accessed by the executive with the reason", last)
	}
}

// TestEvidenceDownloadRefused downloads through another incident's path
// (404) and a tampered blob (500, no content).
func TestEvidenceDownloadRefused(t *testing.T) {
	f := newUploadFixture(t)
	ev := f.upload(t)
	other := &incident.Incident{Title: "Other", Severity: incident.SeverityLow,
		Status: incident.StatusOpen, Phase: incident.PhaseDetected}
	if err := f.e.st.CreateIncident(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	tok := f.r.csrf(f.page)
	res, _ := f.r.post(fmt.Sprintf("/incidents/%d/evidence/%d/download", other.ID, ev),
		url.Values{"csrf_token": {tok}, "reason": {"x"}})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("download through another incident: status %d, want 404", res.StatusCode)
	}
	blob := f.e.blobs.Path(f.hash)
	if err := os.Chmod(blob, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, bytes.ToUpper(f.content), 0o600); err != nil {
		t.Fatal(err)
	}
	res, body := f.r.post(fmt.Sprintf("%s/evidence/%d/download", f.page, ev),
		url.Values{"csrf_token": {tok}, "reason": {"again"}})
	if res.StatusCode != http.StatusInternalServerError || strings.Contains(body, "ACCEPTED") {
		t.Errorf("tampered download: status %d, body %.300q; want 500 without content",
			res.StatusCode, body)
	}
}

func TestEvidenceEventsAndCustody(t *testing.T) {
	e := newEnv(t, nil)
	_, incID := e.seed(t)
	e.postEvents(t, t.Context(), `{"EventID":4624,"TargetUserName":"root"}`+"\n"+
		`{"EventID":4625,"TargetUserName":"admin"}`+"\n")
	page := fmt.Sprintf("/incidents/%d", incID)
	r := e.signIn(t, auth.RoleResponder)
	tok := r.csrf(page)
	res, body := r.post(page+"/evidence/events", url.Values{"csrf_token": {tok},
		"event_ids": {"1, two"}})
	wantPage(t, "bad event ID", res, body, http.StatusUnprocessableEntity,
		"item 2, &#34;two&#34;, is not an event ID")
	res, body = r.post(page+"/evidence/events", url.Values{"csrf_token": {tok}})
	wantPage(t, "no events", res, body, http.StatusUnprocessableEntity, "tick an alert")
	res, _ = r.post(page+"/evidence/events", url.Values{"csrf_token": {tok},
		"event_ids": {"1 2"}, "description": {"the two logons"}, "reason": {"timeline"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("attach events: status %d", res.StatusCode)
	}
	items := e.evidenceOf(t, incID)
	if len(items) != 1 || items[0].AcquiredFrom != "vigil:events" ||
		items[0].Description != "the two logons" {
		t.Fatalf("evidence %+v", items)
	}
	cp := fmt.Sprintf("%s/evidence/%d/custody", page, items[0].ID)
	res, body = r.post(cp, url.Values{"csrf_token": {tok}, "action": {"deleted"},
		"reason": {"x"}})
	wantPage(t, "bad custody action", res, body, http.StatusBadRequest, "action: want")
	res, _ = r.post(cp, url.Values{"csrf_token": {tok}, "action": {"transferred"},
		"to": {"forensics lab"}, "reason": {"disk imaging"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("record transfer: status %d", res.StatusCode)
	}
	res, _ = r.post(cp, url.Values{"csrf_token": {tok}, "action": {"verified"},
		"to": {"ignored"}, "reason": {"weekly check"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("verify: status %d", res.StatusCode)
	}
	_, body = r.get(page)
	for _, want := range []string{"transferred", "forensics lab", "disk imaging", "verified",
		"weekly check", "vigil:events"} {
		if !strings.Contains(body, want) {
			t.Errorf("custody on the page lacks %q", want)
		}
	}
}
