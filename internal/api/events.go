package api

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/vigilsec/vigil/internal/ingest"
)

// ingestResponse is the body of every POST /api/v1/events answer but a 401.
// Error is set only when the status is not 200.
type ingestResponse struct {
	Error     string         `json:"error,omitempty"`
	Accepted  int            `json:"accepted"`
	Rejected  []rejectedLine `json:"rejected"`
	Alerts    int            `json:"alerts"`
	Incidents []string       `json:"incidents"`
}

// rejectedLine is one record of a batch that was not accepted.
type rejectedLine struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// postEvents ingests a batch: NDJSON or a JSON array, optionally gzipped.
// Statuses:
//
//   - 200: at least one event was accepted and is durable; rejected lists
//     the records that were not, with their line numbers and reasons.
//   - 400: nothing was accepted (every record rejected, or an empty body);
//     the body still lists the rejected records.
//   - 413: the body exceeds MaxBodyBytes, or one line or record exceeds
//     MaxLineBytes; nothing of the batch is stored.
//   - 415: an unsupported Content-Type or Content-Encoding.
//   - 500: the events could not be stored; nothing of the batch is stored.
func (s *server) postEvents(w http.ResponseWriter, r *http.Request) {
	if msg := checkMediaType(r.Header.Get("Content-Type")); msg != "" {
		closeUnread(w, r)
		writeIngestError(w, http.StatusUnsupportedMediaType, msg)
		return
	}
	body, status, msg := s.openBody(w, r)
	if status != 0 {
		closeUnread(w, r)
		writeIngestError(w, status, msg)
		return
	}
	defer body.Close()

	events, rejects, err := ingest.ParseBatch(body, ingest.Options{
		Mapping:      s.cfg.Mapping,
		MaxLineBytes: s.cfg.MaxLineBytes,
	})
	if err != nil {
		status, msg := s.readError(err)
		writeIngestError(w, status, msg)
		return
	}
	events, rejects = s.checkExerciseTags(r, events, rejects)
	resp := ingestResponse{Rejected: []rejectedLine{}, Incidents: []string{}}
	for _, le := range rejects {
		if what := tooLong(le); what != "" {
			writeIngestError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf(
				"%s %d exceeds the limit of %d bytes; nothing of the batch was stored",
				what, le.Line, s.cfg.MaxLineBytes))
			return
		}
		resp.Rejected = append(resp.Rejected, rejectedLine{Line: le.Line, Reason: le.Reason})
	}
	if len(events) == 0 {
		resp.Error = "no event accepted"
		if len(rejects) == 0 {
			resp.Error = "no event in the request body"
		}
		writeJSON(w, http.StatusBadRequest, resp)
		return
	}

	res, err := s.cfg.Pipeline.Ingest(r.Context(), events)
	if err != nil {
		if r.Context().Err() != nil {
			// The client went away before the events were stored.
			s.log.Debug("ingest cancelled", "err", err)
		} else {
			s.log.Error("ingest events", "err", err)
		}
		writeIngestError(w, http.StatusInternalServerError,
			"events could not be stored; nothing was accepted")
		return
	}
	resp.Accepted = len(res.EventIDs)
	resp.Alerts = len(res.Alerts)
	for _, inc := range res.Incidents {
		resp.Incidents = append(resp.Incidents, inc.Number)
	}
	writeJSON(w, http.StatusOK, resp)
}

// writeIngestError answers a batch of which nothing was accepted.
func writeIngestError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ingestResponse{
		Error: msg, Rejected: []rejectedLine{}, Incidents: []string{},
	})
}

// ingestMediaTypes are the accepted Content-Types of POST /api/v1/events.
// The body format is sniffed in every case: a JSON array or NDJSON.
var ingestMediaTypes = map[string]bool{
	"application/x-ndjson": true,
	"application/ndjson":   true,
	"application/jsonl":    true,
	"application/json":     true,
}

// checkMediaType returns why a Content-Type is refused, or "" when it is
// accepted. An absent Content-Type is accepted.
func checkMediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && ingestMediaTypes[mt] {
		return ""
	}
	return fmt.Sprintf("unsupported Content-Type %q; send application/x-ndjson or application/json",
		ct)
}

// openBody returns the request body limited to MaxBodyBytes and decoded
// from gzip when the Content-Encoding says so. On failure it returns the
// status and message to answer with.
func (s *server) openBody(w http.ResponseWriter, r *http.Request) (io.ReadCloser, int, string) {
	limit := s.cfg.MaxBodyBytes
	raw := http.MaxBytesReader(w, r.Body, limit)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return raw, 0, ""
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(raw)
		if err != nil {
			status, msg := s.readError(fmt.Errorf("gzip: %w", err))
			return nil, status, msg
		}
		return &limitedBody{r: zr, closer: raw, left: limit, limit: limit}, 0, ""
	default:
		return nil, http.StatusUnsupportedMediaType,
			fmt.Sprintf("unsupported Content-Encoding %q; send gzip or none", enc)
	}
}

// readError chooses the answer for an error while reading a batch.
func (s *server) readError(err error) (int, string) {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf(
			"request body exceeds the limit of %d bytes; nothing of the batch was stored; "+
				"split it into smaller batches", tooLarge.Limit)
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum),
		errors.Is(err, io.ErrUnexpectedEOF):
		return http.StatusBadRequest, "invalid gzip body or truncated request body"
	}
	s.log.Warn("read event batch", "err", err)
	return http.StatusBadRequest, "request body could not be read"
}

// limitedBody caps the decoded size of a compressed body, so that a small
// gzip bomb cannot expand past MaxBodyBytes.
type limitedBody struct {
	r      io.Reader
	closer io.Closer
	left   int64
	limit  int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Probe for one more byte to tell "exactly at the limit" from "over".
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, &http.MaxBytesError{Limit: b.limit}
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.closer.Close() }

// tooLong tells a reject for a line or record over Options.MaxLineBytes from
// other rejects: it returns "line" for a long line, "the record at line" for
// a long record (an array element, or an object spread over lines), and ""
// for any other reject.
func tooLong(le *ingest.LineError) string {
	switch {
	case !le.TooLong:
		return ""
	case le.Record:
		return "the record at line"
	default:
		return "line"
	}
}
