package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// apiClient calls the API handler in the same process on behalf of the
// browser request it was made for: the request's cookies and remote address
// go with every call, so the API authenticates, authorizes and rate-limits
// the browser's user.
type apiClient struct {
	h    http.Handler
	from *http.Request
	csrf string // sent as X-CSRF-Token on changes
}

// apiResponse is the answer of one in-process API call.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

// message returns the "error" of a JSON error answer, or the status text.
func (r *apiResponse) message() string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(r.body, &e) == nil && e.Error != "" {
		return e.Error
	}
	return http.StatusText(r.status)
}

// recorder is a minimal http.ResponseWriter that keeps the answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// do sends method path with body (JSON when not nil) and returns the answer.
// extra headers (If-Match) are added as given.
func (c *apiClient) do(ctx context.Context, method, path string, body any,
	extra map[string]string) (*apiResponse, error) {
	if body == nil {
		return c.doRaw(ctx, method, path, nil, extra)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", method, path, err)
	}
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range extra {
		h[k] = v
	}
	return c.doRaw(ctx, method, path, bytes.NewReader(b), h)
}

// doRaw sends method path with body as it is (nil: none) and the headers
// given, and returns the answer.
func (c *apiClient) doRaw(ctx context.Context, method, path string, body io.Reader,
	extra map[string]string) (*apiResponse, error) {
	req, err := c.request(ctx, method, path, body, extra)
	if err != nil {
		return nil, err
	}
	rec := &recorder{header: http.Header{}}
	c.h.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &apiResponse{status: rec.status, header: rec.header, body: rec.body.Bytes()}, nil
}

// request builds an in-process API request with the browser's cookies,
// address and CSRF token.
func (c *apiClient) request(ctx context.Context, method, path string, body io.Reader,
	extra map[string]string) (*http.Request, error) {
	if body == nil {
		body = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, method, path, body)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", method, path, err)
	}
	req.RemoteAddr = c.from.RemoteAddr
	req.Host = c.from.Host
	for _, v := range c.from.Header.Values("Cookie") {
		req.Header.Add("Cookie", v)
	}
	if method != http.MethodGet && c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	return req, nil
}

// stream calls GET path and, when the API answers 200, streams its answer
// (headers, body and trailers) to w as it comes, without holding it. Any
// other answer is kept and returned as an *apiError, and nothing reaches
// w. A handler that aborts its answer (http.ErrAbortHandler) aborts w's.
func (c *apiClient) stream(ctx context.Context, path string, w http.ResponseWriter) error {
	req, err := c.request(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return err
	}
	g := &gateWriter{to: w, header: http.Header{}, kept: &recorder{header: http.Header{}}}
	c.h.ServeHTTP(g, req)
	if g.status == 0 {
		g.status = http.StatusOK
		g.open()
	}
	if g.status != http.StatusOK {
		res := &apiResponse{status: g.status, header: g.header, body: g.kept.body.Bytes()}
		return &apiError{Status: res.status, Msg: res.message()}
	}
	// Trailers are set on the header after the body (net/http's rule).
	for _, k := range g.header.Values("Trailer") {
		for _, name := range strings.Split(k, ",") {
			name = strings.TrimSpace(name)
			if v := g.header.Values(name); len(v) > 0 {
				w.Header()[http.CanonicalHeaderKey(name)] = v
			}
		}
	}
	return nil
}

// gateWriter passes a 200 answer through to another writer and keeps any
// other.
type gateWriter struct {
	to     http.ResponseWriter
	header http.Header
	status int
	kept   *recorder
}

func (g *gateWriter) Header() http.Header { return g.header }

func (g *gateWriter) WriteHeader(status int) {
	if g.status != 0 {
		return
	}
	g.status = status
	if status == http.StatusOK {
		g.open()
	}
}

// open copies the headers to the browser's answer and sends them.
func (g *gateWriter) open() {
	h := g.to.Header()
	for k, v := range g.header {
		h[k] = v
	}
	g.to.WriteHeader(http.StatusOK)
}

func (g *gateWriter) Write(b []byte) (int, error) {
	g.WriteHeader(http.StatusOK)
	if g.status != http.StatusOK {
		return g.kept.body.Write(b)
	}
	return g.to.Write(b)
}

// get calls GET path and decodes a 200 answer into v. Any other status is
// an *apiError.
func (c *apiClient) get(ctx context.Context, path string, v any) error {
	res, err := c.do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return err
	}
	if res.status != http.StatusOK {
		return &apiError{Status: res.status, Msg: res.message()}
	}
	if err := json.Unmarshal(res.body, v); err != nil {
		return fmt.Errorf("decode GET %s: %w", strings.SplitN(path, "?", 2)[0], err)
	}
	return nil
}

// send calls a changing method and returns an *apiError unless the answer
// is 2xx.
func (c *apiClient) send(ctx context.Context, method, path string, body any,
	extra map[string]string) (*apiResponse, error) {
	res, err := c.do(ctx, method, path, body, extra)
	if err != nil {
		return nil, err
	}
	if res.status < 200 || res.status > 299 {
		return res, &apiError{Status: res.status, Msg: res.message()}
	}
	return res, nil
}

// apiError is a non-2xx answer of the API; pages show Msg with Status.
type apiError struct {
	Status int
	Msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("api: %d: %s", e.Status, e.Msg) }

// Flush sends what a 200 answer has written so far.
func (g *gateWriter) Flush() {
	if f, ok := g.to.(http.Flusher); ok && g.status == http.StatusOK {
		f.Flush()
	}
}
