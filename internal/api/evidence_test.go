package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// evidenceFixture is an API server with an evidence service over a temp
// data folder.
type evidenceFixture struct {
	*fixture
	blobs    *evidence.FileBlobs
	incident int64
}

// newEvidenceFixture starts a server whose evidence limit is maxSize and
// whose downloads are buffered up to buffer bytes (0: the defaults), with
// one incident.
func newEvidenceFixture(t *testing.T, maxSize, buffer int64) *evidenceFixture {
	t.Helper()
	blobs, err := evidence.NewFileBlobs(filepath.Join(t.TempDir(), "evidence"))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(cfg *api.Config) {
		svc, err := evidence.New(evidence.Config{Store: store.View[evidence.Tx]{Store: cfg.Store},
			Blobs: blobs, Audit: audit.New(cfg.Store, nil), MaxSize: maxSize})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Evidence, cfg.EvidenceBufferBytes = svc, buffer
	})
	return &evidenceFixture{fixture: f, blobs: blobs, incident: f.newIncident(t)}
}

func (f *fixture) newIncident(t *testing.T) int64 {
	t.Helper()
	inc := &incident.Incident{Title: "Credential stuffing", Severity: incident.SeverityHigh,
		Status: incident.StatusOpen, Phase: incident.PhaseDetected}
	if err := f.st.CreateIncident(t.Context(), inc); err != nil {
		t.Fatalf("CreateIncident: %v", err)
	}
	return inc.ID
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// upload posts content as a raw body and decodes the record.
func (f *evidenceFixture) upload(t *testing.T, incidentID int64, content []byte,
	headers ...string) evidence.Evidence {
	t.Helper()
	status, _, body := f.do(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/evidence", incidentID),
		bytes.NewReader(content), headers...)
	if status != http.StatusCreated {
		t.Fatalf("upload: status %d: %s", status, body)
	}
	var e evidence.Evidence
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func (f *evidenceFixture) custody(t *testing.T, id int64) []evidence.Custody {
	t.Helper()
	var got struct {
		evidence.Evidence
		Custody []evidence.Custody `json:"custody"`
	}
	f.getJSON(t, fmt.Sprintf("/api/v1/evidence/%d", id), &got)
	return got.Custody
}

func TestEvidenceUploadDownload(t *testing.T) {
	t.Parallel()
	f := newEvidenceFixture(t, 0, 0)
	content := []byte("Mar 14 09:26:53 bastion-2 sshd[811]: Failed password for root\n")
	e := f.upload(t, f.incident, content, "Content-Type", "", "X-Vigil-Filename", "../auth.log",
		"X-Vigil-Description", "sshd log", "X-Vigil-Source", "bastion-2",
		"X-Vigil-Reason", "scoping")
	want := evidence.Evidence{ID: e.ID, IncidentID: f.incident, SHA256: sum(content),
		Size: int64(len(content)), MediaType: "text/plain; charset=utf-8", FileName: "auth.log",
		Description: "sshd log", AcquiredBy: "token:good", AcquiredAt: e.AcquiredAt,
		AcquiredFrom: "bastion-2", CustodyCount: 1}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}

	path := fmt.Sprintf("/api/v1/evidence/%d/content", e.ID)
	if status, _, _ := f.do(t, "GET", path, nil); status != http.StatusBadRequest {
		t.Errorf("download without reason: status %d, want 400", status)
	}
	status, h, body := f.do(t, "GET", path+"?reason="+url.QueryEscape("timeline review"), nil)
	if status != http.StatusOK || !bytes.Equal(body, content) {
		t.Fatalf("download: status %d, body %q", status, body)
	}
	for k, v := range map[string]string{
		"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff",
		"Content-Disposition": `attachment; filename=auth.log`, "X-Vigil-SHA256": sum(content),
		"X-Vigil-Verified":        "sha256=" + sum(content),
		"Content-Security-Policy": "sandbox; default-src 'none'",
	} {
		if got := h.Get(k); got != v {
			t.Errorf("download header %s = %q, want %q", k, got, v)
		}
	}

	log := f.custody(t, e.ID)
	var got []string
	for _, c := range log {
		got = append(got, fmt.Sprintf("%s by %s: %s", c.Action, c.By, c.Reason))
	}
	wantLog := []string{"acquired by token:good: scoping",
		"accessed by token:good: timeline review"}
	if diff := cmp.Diff(wantLog, got); diff != "" {
		t.Errorf("custody (-want +got):\n%s", diff)
	}
	var list store.Page[evidence.Evidence]
	f.getJSON(t, fmt.Sprintf("/api/v1/incidents/%d/evidence", f.incident), &list)
	if len(list.Items) != 1 || list.Items[0].CustodyCount != 2 || list.Total != 1 {
		t.Errorf("list = %+v, want one record with 2 custody entries", list)
	}
	f.wantAudit(t, e.ID, audit.EvidenceAdded, audit.EvidenceAccessed)
}

// wantAudit checks the audit actions recorded about evidence id, oldest
// first.
func (f *evidenceFixture) wantAudit(t *testing.T, id int64, want ...audit.Action) {
	t.Helper()
	page, err := f.st.ListAudit(t.Context(), store.AuditFilter{ObjectType: "evidence",
		ObjectID: fmt.Sprint(id)})
	if err != nil {
		t.Fatal(err)
	}
	var got []audit.Action
	for i := len(page.Items) - 1; i >= 0; i-- {
		if page.Items[i].Actor != "token:good" {
			t.Errorf("audit entry %d by %q, want token:good", page.Items[i].Seq,
				page.Items[i].Actor)
		}
		got = append(got, page.Items[i].Action)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit actions (-want +got):\n%s", diff)
	}
}

// TestEvidenceMultipartShared uploads one file as multipart to two
// incidents: two records, one blob.
func TestEvidenceMultipartShared(t *testing.T) {
	t.Parallel()
	f := newEvidenceFixture(t, 0, 0)
	second := f.newIncident(t)
	content := []byte("%PDF-1.7 a memory report")
	var ids []int64
	for _, inc := range []int64{f.incident, second} {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("description", "EDR report")
		mw.WriteField("source", "edr.example")
		fw, _ := mw.CreateFormFile("file", "report.pdf")
		fw.Write(content)
		mw.Close()
		e := f.upload(t, inc, buf.Bytes(), "Content-Type", mw.FormDataContentType())
		if e.FileName != "report.pdf" || e.MediaType != "application/pdf" ||
			e.Description != "EDR report" || e.AcquiredFrom != "edr.example" ||
			e.SHA256 != sum(content) {
			t.Errorf("record = %+v", e)
		}
		ids = append(ids, e.ID)
	}
	if ids[0] == ids[1] {
		t.Errorf("one record for two incidents")
	}
	var files int
	filepath.WalkDir(filepath.Dir(filepath.Dir(f.blobs.Path(sum(content)))),
		func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files++
			}
			return err
		})
	if files != 1 {
		t.Errorf("%d blob files, want 1", files)
	}
}

func TestEvidenceFromEvents(t *testing.T) {
	t.Parallel()
	f := newEvidenceFixture(t, 0, 0)
	ids, err := f.st.InsertEvents(t.Context(), []*event.Event{
		{Fields: map[string]any{"b": "<x>", "a": json.Number("1e3")}},
		{Fields: map[string]any{"user": "root"}, Source: event.Source{File: "a.log", Line: 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"event_ids":[%d,%d],"description":"failed logons"}`, ids[1], ids[0])
	status, _, b := f.do(t, "POST",
		fmt.Sprintf("/api/v1/incidents/%d/evidence/from-events", f.incident),
		strings.NewReader(body), "Content-Type", "application/json")
	if status != http.StatusCreated {
		t.Fatalf("from-events: status %d: %s", status, b)
	}
	var e evidence.Evidence
	json.Unmarshal(b, &e)
	if e.MediaType != "application/json" || e.AcquiredFrom != "vigil:events" {
		t.Errorf("record = %+v", e)
	}
	status, _, content := f.do(t, "GET",
		fmt.Sprintf("/api/v1/evidence/%d/content?reason=report", e.ID), nil)
	if status != http.StatusOK || sum(content) != e.SHA256 {
		t.Fatalf("download: status %d, %s", status, content)
	}
	var events []evidence.EventRecord
	if err := json.Unmarshal(content, &events); err != nil {
		t.Fatalf("attached file %s: %v", content, err)
	}
	if len(events) != 2 || events[0].ID != ids[0] || events[1].ID != ids[1] ||
		string(events[0].Fields) != `{"a":1e3,"b":"<x>"}` || events[1].File != "a.log" {
		t.Errorf("attached file:\n%s", content)
	}

	body = fmt.Sprintf(`{"event_ids":[%d,%d]}`, ids[0], ids[1]+100)
	status, _, _ = f.do(t, "POST",
		fmt.Sprintf("/api/v1/incidents/%d/evidence/from-events", f.incident),
		strings.NewReader(body), "Content-Type", "application/json")
	if status != http.StatusNotFound {
		t.Errorf("from-events with an unknown event: status %d, want 404", status)
	}
}

func TestEvidenceCustody(t *testing.T) {
	t.Parallel()
	f := newEvidenceFixture(t, 0, 0)
	e := f.upload(t, f.incident, []byte("disk image"))
	path := fmt.Sprintf("/api/v1/evidence/%d/custody", e.ID)
	for _, body := range []string{
		`{"action":"transferred","reason":"to forensics","details":{"to":"ACME DFIR"}}`,
		`{"action":"exported","reason":"to the regulator"}`,
		`{"action":"verified","reason":"before export"}`,
	} {
		status, _, b := f.do(t, "POST", path, strings.NewReader(body))
		if status != http.StatusCreated {
			t.Fatalf("%s: status %d: %s", body, status, b)
		}
	}
	log := f.custody(t, e.ID)
	if len(log) != 4 || string(log[1].Details) != `{"to":"ACME DFIR"}` ||
		string(log[3].Details) != `{"ok":true,"sha256":"`+e.SHA256+`"}` {
		t.Errorf("custody = %+v", log)
	}
	f.wantAudit(t, e.ID, audit.EvidenceAdded, audit.EvidenceExported, audit.EvidenceExported,
		audit.EvidenceVerified)
}

func TestEvidenceErrors(t *testing.T) {
	t.Parallel()
	f := newEvidenceFixture(t, 1024, 0)
	e := f.upload(t, f.incident, []byte("small"))
	inc, ev := f.incident, e.ID
	tests := []struct {
		method, path, body string
		headers            []string
		want               int
	}{
		{"POST", "/api/v1/incidents/999/evidence", "x", nil, 404},
		{"POST", "/api/v1/incidents/abc/evidence", "x", nil, 400},
		{"POST", fmt.Sprintf("/api/v1/incidents/%d/evidence", inc),
			strings.Repeat("x", 1025), nil, 413},
		{"POST", fmt.Sprintf("/api/v1/incidents/%d/evidence", inc), "--b--\r\n",
			[]string{"Content-Type", "multipart/form-data; boundary=b"}, 400},
		{"GET", "/api/v1/incidents/999/evidence", "", nil, 404},
		{"POST", "/api/v1/incidents/999/evidence/from-events", `{"event_ids":[1]}`, nil, 404},
		{"POST", fmt.Sprintf("/api/v1/incidents/%d/evidence/from-events", inc),
			`{"event_ids":[]}`, nil, 400},
		{"GET", "/api/v1/evidence/999", "", nil, 404},
		{"GET", "/api/v1/evidence/999/content?reason=x", "", nil, 404},
		{"GET", fmt.Sprintf("/api/v1/evidence/%d/content?reason=%%20", ev), "", nil, 400},
		{"POST", fmt.Sprintf("/api/v1/evidence/%d/custody", ev),
			`{"action":"accessed","reason":"x"}`, nil, 400},
		{"POST", fmt.Sprintf("/api/v1/evidence/%d/custody", ev),
			`{"action":"exported"}`, nil, 400},
		{"POST", fmt.Sprintf("/api/v1/evidence/%d/custody", ev),
			`{"action":"exported","reason":"r","details":[1]}`, nil, 400},
		{"POST", "/api/v1/evidence/999/custody", `{"action":"exported","reason":"r"}`, nil, 404},
	}
	for _, tt := range tests {
		status, _, body := f.do(t, tt.method, tt.path, strings.NewReader(tt.body), tt.headers...)
		if status != tt.want {
			t.Errorf("%s %s: status %d, want %d: %s", tt.method, tt.path, status, tt.want, body)
		}
	}
	if log := f.custody(t, ev); len(log) != 1 {
		t.Errorf("failed requests left custody entries: %+v", log)
	}
	// Nothing of the refused upload is kept: only the one blob.
	var files int
	filepath.WalkDir(filepath.Join(filepath.Dir(filepath.Dir(f.blobs.Path(e.SHA256)))),
		func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files++
			}
			return err
		})
	if files != 1 {
		t.Errorf("%d files in the blob store, want 1", files)
	}
}

func TestEvidenceNotConfigured(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	status, _, _ := f.do(t, "GET", "/api/v1/evidence/1", nil)
	if status != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", status)
	}
}

// tamper flips one byte of a blob on disk.
func tamper(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestEvidenceTamperBuffered changes a byte of a small blob: the download
// answers 500 without the bytes, and a verification records the mismatch.
func TestEvidenceTamperBuffered(t *testing.T) {
	t.Parallel()
	f := newEvidenceFixture(t, 0, 0)
	content := []byte("the attacker's IP was 203.0.113.7")
	e := f.upload(t, f.incident, content)
	tamper(t, f.blobs.Path(e.SHA256))

	status, h, body := f.do(t, "GET", fmt.Sprintf("/api/v1/evidence/%d/content?reason=x", e.ID),
		nil)
	if status != http.StatusInternalServerError || bytes.Contains(body, []byte("203.0")) ||
		h.Get("Content-Disposition") != "" {
		t.Errorf("tampered download: status %d, headers %v, body %q; want a 500 error", status,
			h, body)
	}
	status, _, b := f.do(t, "POST", fmt.Sprintf("/api/v1/evidence/%d/custody", e.ID),
		strings.NewReader(`{"action":"verified","reason":"integrity check"}`))
	var c evidence.Custody
	json.Unmarshal(b, &c)
	if status != http.StatusCreated || !strings.Contains(string(c.Details), `"ok":false`) {
		t.Errorf("verify tampered: status %d, %s", status, b)
	}
}

// TestEvidenceTamperStreamed serves content over the buffering threshold:
// a good one arrives whole with the X-Vigil-Verified trailer, a tampered
// one ends in a failed transfer.
func TestEvidenceTamperStreamed(t *testing.T) {
	t.Parallel()
	f := newEvidenceFixture(t, 0, 1024)
	content := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16)
	e := f.upload(t, f.incident, content)
	get := func() (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET",
			f.srv.URL+fmt.Sprintf("/api/v1/evidence/%d/content?reason=x", e.ID), nil)
		req.Header.Set("Authorization", "Bearer "+goodToken)
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	resp, b, err := get()
	if err != nil || !bytes.Equal(b, content) ||
		resp.Trailer.Get("X-Vigil-Verified") != "sha256="+e.SHA256 {
		t.Fatalf("streamed download: %v, %d bytes, trailer %v", err, len(b), resp.Trailer)
	}

	tamper(t, f.blobs.Path(e.SHA256))
	resp, _, err = get()
	if !errors.Is(err, io.ErrUnexpectedEOF) || resp.Trailer.Get("X-Vigil-Verified") != "" {
		t.Errorf("tampered streamed download: err %v, trailer %v; want a failed transfer",
			err, resp.Trailer)
	}
}
