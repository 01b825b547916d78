package web

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestStream checks the pass-through of an API answer to the browser: a
// 200 streams with its headers and trailers, another status reaches the
// page as an *apiError and nothing of it reaches the browser, and an
// aborted answer aborts the browser's.
func TestStream(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Trailer", "X-Vigil-Verified")
			for range 3 {
				w.Write([]byte(strings.Repeat("x", 1000)))
				w.(http.Flusher).Flush()
			}
			w.Header().Set("X-Vigil-Verified", "sha256=abc")
		case "/refused":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"query parameter \"reason\": say why"}`))
		case "/tampered":
			w.Write([]byte("first chunk"))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
	})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &apiClient{h: api, from: r}
		err := c.stream(r.Context(), r.URL.Path, w)
		var ae *apiError
		if errors.As(err, &ae) {
			w.WriteHeader(299) // what a page would do with it, told apart here
			io.WriteString(w, "page: "+ae.Msg)
		}
	}))
	defer front.Close()

	res, err := http.Get(front.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || len(body) != 3000 ||
		res.Trailer.Get("X-Vigil-Verified") != "sha256=abc" ||
		res.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("big: status %d, %d bytes (%v), trailer %v, headers %v", res.StatusCode,
			len(body), err, res.Trailer, res.Header)
	}

	res, err = http.Get(front.URL + "/refused")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 299 || string(body) != `page: query parameter "reason": say why` {
		t.Errorf("refused: status %d, body %q", res.StatusCode, body)
	}

	res, err = http.Get(front.URL + "/tampered")
	if err == nil {
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	if err == nil {
		t.Error("tampered: the transfer completed, want it aborted")
	}
}
