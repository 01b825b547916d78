package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/store"
)

// Evidence limits of the API.
const (
	// DefaultEvidenceBufferBytes is the size up to which a download is read
	// and verified whole before the first byte is sent (see
	// Config.EvidenceBufferBytes).
	DefaultEvidenceBufferBytes = 16 << 20
	// evidenceUploadTimeout replaces the server's read deadline for an
	// upload, which may be large.
	evidenceUploadTimeout = 30 * time.Minute
	// maxEventIDs caps the events attached as one file.
	maxEventIDs = 10_000
	// maxFormField caps a text field of a multipart upload.
	maxFormField = evidence.MaxDescription
)

// evidenceService answers 503 and returns nil when no evidence service is
// configured.
func (s *server) evidenceService(w http.ResponseWriter, r *http.Request) *evidence.Service {
	if s.cfg.Evidence == nil {
		closeUnread(w, r)
		writeError(w, http.StatusServiceUnavailable, "evidence store not configured")
	}
	return s.cfg.Evidence
}

// evidencePathID reads the positive integer path parameter "id", answering 400
// otherwise.
func evidencePathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		closeUnread(w, r)
		writeError(w, http.StatusBadRequest,
			fmt.Sprintf("path parameter \"id\": %q is not a positive integer", raw))
		return 0, false
	}
	return id, true
}

// incidentFor reads the incident ID of the path and checks that the
// incident exists, answering 404 otherwise.
func (s *server) incidentFor(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, ok := evidencePathID(w, r)
	if !ok {
		return 0, false
	}
	if _, err := s.cfg.Store.GetIncident(r.Context(), id); err != nil {
		closeUnread(w, r)
		s.storeError(w, "get incident", err)
		return 0, false
	}
	return id, true
}

// evidenceError answers for a failed evidence call.
func (s *server) evidenceError(w http.ResponseWriter, op string, err error) {
	var tooLarge *evidence.TooLargeError
	var mismatch *evidence.MismatchError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("evidence larger than the limit of %d bytes", tooLarge.Limit))
	case errors.Is(err, evidence.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.As(err, &mismatch):
		s.log.Error("evidence content does not match its SHA-256", "op", op, "err", err)
		writeError(w, http.StatusInternalServerError,
			"evidence content failed its SHA-256 check; not served")
	case errors.Is(err, evidence.ErrBlobNotFound):
		s.log.Error("evidence content missing", "op", op, "err", err)
		writeError(w, http.StatusInternalServerError, "evidence content missing")
	default:
		s.storeError(w, op, err)
	}
}

// postEvidence answers POST /api/v1/incidents/{id}/evidence: a
// multipart/form-data upload (fields description, source and reason before
// the part "file"), or the raw body with X-Vigil-Filename,
// X-Vigil-Description, X-Vigil-Source and X-Vigil-Reason headers. The
// content streams to the blob store; over the limit it answers 413.
func (s *server) postEvidence(w http.ResponseWriter, r *http.Request) {
	svc := s.evidenceService(w, r)
	if svc == nil {
		return
	}
	incidentID, ok := s.incidentFor(w, r)
	if !ok {
		return
	}
	if r.ContentLength > svc.MaxSize()+1<<20 {
		closeUnread(w, r)
		writeError(w, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("evidence larger than the limit of %d bytes", svc.MaxSize()))
		return
	}
	// The error only means that the writer cannot set deadlines.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(evidenceUploadTimeout))

	in := evidence.NewEvidence{IncidentID: incidentID}
	var (
		blob evidence.Blob
		err  error
	)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		blob, err = s.readEvidenceForm(r, svc, &in)
	} else {
		in.FileName = r.Header.Get("X-Vigil-Filename")
		in.Description = r.Header.Get("X-Vigil-Description")
		in.Source = r.Header.Get("X-Vigil-Source")
		in.Reason = r.Header.Get("X-Vigil-Reason")
		blob, err = svc.Put(r.Context(), r.Body, r.Header.Get("Content-Type"))
	}
	if err != nil {
		closeUnread(w, r)
		s.evidenceError(w, "add evidence", err)
		return
	}
	e, err := svc.Attach(r.Context(), in, blob)
	if err != nil {
		s.evidenceError(w, "add evidence", err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

// readEvidenceForm reads a multipart upload: text fields into in, the one
// part named "file" into the blob store.
func (s *server) readEvidenceForm(r *http.Request, svc *evidence.Service,
	in *evidence.NewEvidence) (evidence.Blob, error) {
	var blob evidence.Blob
	mr, err := r.MultipartReader()
	if err != nil {
		return blob, fmt.Errorf("%w: %v", evidence.ErrInvalid, err)
	}
	seen := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return blob, fmt.Errorf("%w: multipart body: %v", evidence.ErrInvalid, err)
		}
		name := part.FormName()
		if name == "file" {
			if seen {
				return blob, fmt.Errorf("%w: more than one part \"file\"", evidence.ErrInvalid)
			}
			seen = true
			in.FileName = part.FileName()
			if blob, err = svc.Put(r.Context(), part, part.Header.Get("Content-Type")); err != nil {
				return blob, err
			}
			continue
		}
		value, err := formValue(part)
		if err != nil {
			return blob, err
		}
		switch name {
		case "description":
			in.Description = value
		case "source":
			in.Source = value
		case "reason":
			in.Reason = value
		case "file_name":
			in.FileName = value
		}
	}
	if !seen {
		return blob, fmt.Errorf("%w: no part named \"file\"", evidence.ErrInvalid)
	}
	return blob, nil
}

// formValue reads a text field of at most maxFormField bytes.
func formValue(part *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, maxFormField+1))
	if err != nil {
		return "", fmt.Errorf("%w: field %q: %v", evidence.ErrInvalid, part.FormName(), err)
	}
	if len(b) > maxFormField {
		return "", fmt.Errorf("%w: field %q over %d bytes", evidence.ErrInvalid,
			part.FormName(), maxFormField)
	}
	return string(b), nil
}

// fromEventsRequest is the body of POST .../evidence/from-events.
type fromEventsRequest struct {
	EventIDs    []int64 `json:"event_ids"`
	Description string  `json:"description"`
	Reason      string  `json:"reason"`
	FileName    string  `json:"file_name"`
}

// postEvidenceFromEvents answers POST
// /api/v1/incidents/{id}/evidence/from-events: the stored events, as one
// canonical JSON file (evidence.EventsFile), become one piece of evidence.
func (s *server) postEvidenceFromEvents(w http.ResponseWriter, r *http.Request) {
	svc := s.evidenceService(w, r)
	if svc == nil {
		return
	}
	incidentID, ok := s.incidentFor(w, r)
	if !ok {
		return
	}
	var req fromEventsRequest
	if !decodeEvidenceBody(w, r, &req) {
		return
	}
	if len(req.EventIDs) == 0 || len(req.EventIDs) > maxEventIDs {
		writeError(w, http.StatusBadRequest,
			fmt.Sprintf("event_ids: want 1 to %d event IDs", maxEventIDs))
		return
	}
	events, err := s.cfg.Store.EventsByID(r.Context(), req.EventIDs)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "event_ids: one or more events not found")
		return
	}
	if err != nil {
		s.storeError(w, "events by id", err)
		return
	}
	file, err := evidence.EventsFile(events)
	if err != nil {
		s.storeError(w, "events file", err)
		return
	}
	if req.FileName == "" {
		req.FileName = fmt.Sprintf("incident-%d-events.json", incidentID)
	}
	e, err := svc.Add(r.Context(), evidence.NewEvidence{IncidentID: incidentID,
		FileName: req.FileName, Description: req.Description, Source: "vigil:events",
		MediaType: "application/json", Reason: req.Reason}, bytes.NewReader(file))
	if err != nil {
		s.evidenceError(w, "add evidence from events", err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

// decodeEvidenceBody decodes a JSON body of at most 1 MiB into v with unknown
// fields refused, answering 400 or 413 when it cannot.
func decodeEvidenceBody(w http.ResponseWriter, r *http.Request, v any) bool {
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	d.DisallowUnknownFields()
	err := d.Decode(v)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, "body over 1 MiB")
		return false
	case err != nil:
		closeUnread(w, r)
		writeError(w, http.StatusBadRequest, "body: "+err.Error())
		return false
	}
	return true
}

// listEvidence answers GET /api/v1/incidents/{id}/evidence: the incident's
// evidence, oldest first, with custody counts.
func (s *server) listEvidence(w http.ResponseWriter, r *http.Request) {
	svc := s.evidenceService(w, r)
	if svc == nil {
		return
	}
	incidentID, ok := s.incidentFor(w, r)
	if !ok {
		return
	}
	items, err := svc.List(r.Context(), incidentID)
	if err != nil {
		s.evidenceError(w, "list evidence", err)
		return
	}
	writeJSON(w, http.StatusOK, store.Page[evidence.Evidence]{Items: items,
		Total: int64(len(items))})
}

// evidenceWithCustody is the answer of GET /api/v1/evidence/{id}.
type evidenceWithCustody struct {
	*evidence.Evidence
	Custody []evidence.Custody `json:"custody"`
}

// getEvidence answers GET /api/v1/evidence/{id}: the record and its whole
// chain of custody.
func (s *server) getEvidence(w http.ResponseWriter, r *http.Request) {
	svc := s.evidenceService(w, r)
	if svc == nil {
		return
	}
	id, ok := evidencePathID(w, r)
	if !ok {
		return
	}
	e, log, err := svc.Get(r.Context(), id)
	if err != nil {
		s.evidenceError(w, "get evidence", err)
		return
	}
	writeJSON(w, http.StatusOK, evidenceWithCustody{Evidence: e, Custody: log})
}
