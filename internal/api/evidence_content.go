package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/evidence"
)

// getEvidenceContent answers GET /api/v1/evidence/{id}/content?reason=…:
// it records an accessed custody entry (the principal and the reason, which
// is required), then serves the content as an attachment with its SHA-256
// in X-Vigil-SHA256.
//
// Content up to Config.EvidenceBufferBytes is read and verified whole
// before the first byte is sent: a tampered blob gets a 500 and none of its
// bytes. Larger content is streamed (chunked, no Content-Length) and
// verified on the way; on a mismatch the response is aborted before its
// final chunk, so a client sees a truncated, failed transfer instead of a
// complete body, and the X-Vigil-Verified trailer is sent only after a
// good end.
func (s *server) getEvidenceContent(w http.ResponseWriter, r *http.Request) {
	svc := s.evidenceService(w, r)
	if svc == nil {
		return
	}
	id, ok := evidencePathID(w, r)
	if !ok {
		return
	}
	q := newQuery(r, "reason")
	reason := strings.TrimSpace(q.str("reason"))
	if q.err != nil || reason == "" {
		writeError(w, http.StatusBadRequest,
			"query parameter \"reason\": say why the content is accessed")
		return
	}
	e, rc, err := svc.Open(r.Context(), id, reason)
	if err != nil {
		s.evidenceError(w, "open evidence", err)
		return
	}
	defer rc.Close()

	h := w.Header()
	h.Set("Content-Type", e.MediaType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": e.FileName}))
	h.Set("X-Content-Type-Options", "nosniff")
	// The media type is the uploader's: should a browser render the
	// content anyway, it runs no script and loads nothing.
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("X-Vigil-SHA256", e.SHA256)
	h.Set("Cache-Control", "no-store")
	if e.Size <= s.cfg.EvidenceBufferBytes {
		s.serveBuffered(w, e, rc)
		return
	}
	h.Set("Trailer", "X-Vigil-Verified")
	if _, err := io.Copy(w, rc); err != nil {
		s.log.Error("evidence download aborted", "evidence_id", e.ID, "err", err)
		// Abort: no final chunk, the client sees a failed transfer.
		panic(http.ErrAbortHandler)
	}
	h.Set("X-Vigil-Verified", "sha256="+e.SHA256)
}

// serveBuffered reads and verifies the whole content, then sends it.
func (s *server) serveBuffered(w http.ResponseWriter, e *evidence.Evidence, rc io.Reader) {
	var buf bytes.Buffer
	buf.Grow(int(e.Size))
	if _, err := io.Copy(&buf, rc); err != nil {
		h := w.Header()
		for _, k := range []string{"Content-Disposition", "X-Vigil-SHA256"} {
			h.Del(k)
		}
		s.evidenceError(w, "read evidence", err)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("X-Vigil-Verified", "sha256="+e.SHA256)
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// custodyRequest is the body of POST /api/v1/evidence/{id}/custody.
type custodyRequest struct {
	Action  evidence.Action `json:"action"`
	Reason  string          `json:"reason"`
	Details json.RawMessage `json:"details"`
}

// postCustody answers POST /api/v1/evidence/{id}/custody: a transferred or
// exported entry with its reason and details, or "verified", for which the
// server re-hashes the content and records the result (200 with ok false
// in the details when it does not match; the custody entry is the answer
// either way).
func (s *server) postCustody(w http.ResponseWriter, r *http.Request) {
	svc := s.evidenceService(w, r)
	if svc == nil {
		return
	}
	id, ok := evidencePathID(w, r)
	if !ok {
		return
	}
	var req custodyRequest
	if !decodeEvidenceBody(w, r, &req) {
		return
	}
	var (
		c   *evidence.Custody
		err error
	)
	switch req.Action {
	case evidence.Transferred, evidence.Exported:
		c, err = svc.Record(r.Context(), id, req.Action, req.Reason, req.Details)
	case evidence.Verified:
		if len(req.Details) > 0 {
			writeError(w, http.StatusBadRequest, "details: set by the server for verified")
			return
		}
		c, err = svc.Verify(r.Context(), id, req.Reason)
		var mismatch *evidence.MismatchError
		if errors.As(err, &mismatch) {
			s.log.Error("evidence failed verification", "evidence_id", id, "err", err)
			err = nil
		}
	default:
		writeError(w, http.StatusBadRequest,
			"action: want transferred, exported or verified")
		return
	}
	if err != nil {
		s.evidenceError(w, "record custody", err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}
