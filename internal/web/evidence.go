package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/evidence"
)

// uploadTimeout replaces the server's read deadline for an evidence
// upload, which may be large (the API's own timeout is the same).
const uploadTimeout = 30 * time.Minute

// uploadFields are the text fields of the upload form, sent before the
// file as the API wants them.
var uploadFields = []string{"description", "source", "reason"}

// maxEventIDs caps the event IDs typed into the events form.
const maxEventIDs = 10_000

// errUploadEnded stops the copy of an upload the API stopped reading.
var errUploadEnded = errors.New("web: the API stopped reading the upload")

// uploadEvidence streams a file from the browser to POST
// /api/v1/incidents/{id}/evidence, without holding it: the API hashes and
// stores it as it comes, and refuses one over its size limit (413).
func (s *server) uploadEvidence(w http.ResponseWriter, r *http.Request, se *session) {
	// The error only means that the writer cannot set deadlines.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadTimeout))
	s.change(w, r, se, "evidence", func(ctx context.Context, base string) error {
		return se.upload(ctx, base+"/evidence")
	})
}

// upload reads the text fields of the rest of the upload (se.parts) up to
// the part "file", then sends them and the file to the API as a new
// multipart body. Fields after the file are not read.
func (se *session) upload(ctx context.Context, path string) error {
	fields := map[string]string{}
	for {
		part, err := se.parts.NextPart()
		switch {
		case err == io.EOF:
			return unprocessable("file: choose a file to upload")
		case err != nil:
			return &apiError{Status: http.StatusBadRequest,
				Msg: "the upload could not be read: " + err.Error()}
		}
		name := part.FormName()
		if name == "file" {
			if part.FileName() == "" {
				return unprocessable("file: choose a file to upload")
			}
			return se.sendUpload(ctx, path, fields, part)
		}
		if !slices.Contains(uploadFields, name) {
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, evidence.MaxDescription+1))
		switch {
		case err != nil:
			return &apiError{Status: http.StatusBadRequest,
				Msg: "the upload could not be read: " + err.Error()}
		case len(v) > evidence.MaxDescription:
			return unprocessable(fmt.Sprintf("%s: over %d bytes", name,
				evidence.MaxDescription))
		}
		fields[name] = strings.TrimSpace(string(v))
	}
}

// sendUpload posts fields and file to the API through a pipe, and waits
// until the copy has stopped reading the browser's body.
func (se *session) sendUpload(ctx context.Context, path string, fields map[string]string,
	file *multipart.Part) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(writeUpload(mw, fields, file))
	}()
	res, err := se.api.doRaw(ctx, http.MethodPost, path, pr,
		map[string]string{"Content-Type": mw.FormDataContentType()})
	pr.CloseWithError(errUploadEnded)
	<-done
	if err != nil {
		return err
	}
	if res.status != http.StatusCreated {
		return &apiError{Status: res.status, Msg: res.message()}
	}
	return nil
}

// writeUpload writes the fields, then the file, as a multipart body.
func writeUpload(mw *multipart.Writer, fields map[string]string,
	file *multipart.Part) error {
	for _, k := range uploadFields {
		if v, ok := fields[k]; ok {
			if err := mw.WriteField(k, v); err != nil {
				return err
			}
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data",
		map[string]string{"name": "file", "filename": file.FileName()}))
	ct := file.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	fw, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(fw, file); err != nil {
		return fmt.Errorf("copy the upload: %w", err)
	}
	return mw.Close()
}

// unprocessable is a 422 with msg.
func unprocessable(msg string) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Msg: msg}
}

// attachEvents keeps stored events as one piece of evidence: the events of
// the alerts ticked, and the event IDs typed.
func (s *server) attachEvents(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "evidence", func(ctx context.Context, base string) error {
		ids, err := se.eventIDs(ctx, r)
		if err != nil {
			return err
		}
		return se.post(ctx, base+"/evidence/from-events", map[string]any{"event_ids": ids,
			"description": form(r, "description"), "reason": form(r, "reason")})
	})
}

// eventIDs collects the event IDs of the form: those of each alert ticked
// (read through the API) and those typed, separated by commas or spaces.
func (se *session) eventIDs(ctx context.Context, r *http.Request) ([]int64, error) {
	var ids []int64
	add := func(id int64) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, a := range r.PostForm["alert"] {
		if n, err := strconv.ParseInt(a, 10, 64); err != nil || n <= 0 {
			return nil, unprocessable(fmt.Sprintf("alerts: %q is not an alert ID", a))
		}
		var ref alertRef
		if err := se.api.get(ctx, "/api/v1/alerts/"+a, &ref); err != nil {
			return nil, err
		}
		for _, id := range ref.EventIDs {
			add(id)
		}
	}
	typed := strings.FieldsFunc(form(r, "event_ids"), func(c rune) bool {
		return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t'
	})
	if len(typed) > maxEventIDs {
		return nil, unprocessable(fmt.Sprintf("event IDs: at most %d", maxEventIDs))
	}
	for i, v := range typed {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, unprocessable(fmt.Sprintf("event IDs: item %d, %q, is not an event ID",
				i+1, v))
		}
		add(n)
	}
	if len(ids) == 0 {
		return nil, unprocessable("events: tick an alert or type event IDs")
	}
	return ids, nil
}

// evidencePaths returns the incident and evidence IDs of the path, after
// checking that the evidence belongs to the incident (404 otherwise).
func (se *session) evidencePaths(ctx context.Context, r *http.Request) (string, string,
	error) {
	notFound := &apiError{Status: http.StatusNotFound, Msg: "not found"}
	inc, ok1 := pathInt(r, "id")
	ev, ok2 := pathInt(r, "ev")
	if !ok1 || !ok2 {
		return "", "", notFound
	}
	var item evidenceItem
	if err := se.api.get(ctx, "/api/v1/evidence/"+ev, &item); err != nil {
		return "", "", err
	}
	if strconv.FormatInt(item.IncidentID, 10) != inc {
		return "", "", notFound
	}
	return inc, ev, nil
}

// recordCustody adds a transfer, an export or a verification to a piece of
// evidence's chain of custody.
func (s *server) recordCustody(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "evidence", func(ctx context.Context, _ string) error {
		_, ev, err := se.evidencePaths(ctx, r)
		if err != nil {
			return err
		}
		body := map[string]any{"action": form(r, "action"), "reason": form(r, "reason")}
		if to := form(r, "to"); to != "" && form(r, "action") != string(evidence.Verified) {
			body["details"] = map[string]string{"to": to}
		}
		return se.post(ctx, "/api/v1/evidence/"+ev+"/custody", body)
	})
}

// downloadEvidence sends a piece of evidence's content to the browser
// through the API's download, which records the access with the reason in
// the chain of custody and checks the content against its SHA-256 (a
// mismatch is a 500 and no content, or an aborted transfer when large).
func (s *server) downloadEvidence(w http.ResponseWriter, r *http.Request, se *session) {
	ctx := r.Context()
	_, ev, err := se.evidencePaths(ctx, r)
	reason := form(r, "reason")
	if err == nil && reason == "" {
		err = unprocessable("reason: say why you download the evidence; the chain of " +
			"custody records it")
	}
	if err == nil {
		err = se.api.stream(ctx, "/api/v1/evidence/"+ev+"/content?"+
			url.Values{"reason": {reason}}.Encode(), w)
	}
	if err != nil {
		s.incidentError(w, r, se, "evidence", err)
	}
}
