package ingest

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigilsec/vigil/internal/event"
)

// got is what a read produced, in a form that diffs well.
type got struct {
	Events []string // "line: json of fields"
	Errors []string // LineError.Error()
}

// readFunc is a read call with its callbacks left open.
type readFunc func(fn func(*event.Event) error, onErr func(*LineError)) error

func collect(t testing.TB, read readFunc) got {
	t.Helper()
	var g got
	err := read(func(e *event.Event) error {
		b, err := json.Marshal(e.Fields)
		if err != nil {
			t.Fatalf("marshal fields: %v", err)
		}
		g.Events = append(g.Events, e.Source.String()+" "+string(b))
		return nil
	}, func(le *LineError) { g.Errors = append(g.Errors, le.Error()) })
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return g
}

// readString reads s as a stream named "in" with a mapping that does
// nothing, so that the parsed fields show as they are.
func readString(t testing.TB, s string, opts Options) got {
	t.Helper()
	if opts.Mapping == nil {
		opts.Mapping = &event.Mapping{}
	}
	return collect(t, func(fn func(*event.Event) error, onErr func(*LineError)) error {
		return Read(context.Background(), strings.NewReader(s), "in", opts, fn, onErr)
	})
}

func TestReadJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want got
	}{
		{
			name: "ndjson",
			in:   "{\"a\":1}\n{\"b\":\"x\"}\n",
			want: got{Events: []string{`in:1 {"a":1}`, `in:2 {"b":"x"}`}},
		},
		{
			name: "ndjson crlf, blank lines and no final newline",
			in:   "{\"a\":1}\r\n\r\n   \n{\"b\":2}",
			want: got{Events: []string{`in:1 {"a":1}`, `in:4 {"b":2}`}},
		},
		{
			name: "ndjson bad lines are rejected and skipped",
			in:   "{\"a\":1}\n{\"a\": tru}\n42\n\"s\"\n[1]\nnull\n{\"a\":\n{\"b\":2}\n",
			want: got{
				Events: []string{`in:1 {"a":1}`, `in:8 {"b":2}`},
				Errors: []string{
					"in:2: invalid JSON: invalid character '}' in literal true (expecting 'e')",
					"in:3: not a JSON object: number",
					"in:4: not a JSON object: string",
					"in:5: not a JSON object: array",
					"in:6: not a JSON object: null",
					"in:7: invalid JSON: object not closed",
				},
			},
		},
		{
			name: "unterminated string ends the record on its line",
			in:   "{\"a\": \"open\n{\"b\":2}\n",
			want: got{
				Events: []string{`in:2 {"b":2}`},
				Errors: []string{"in:1: invalid JSON: unexpected end of input"},
			},
		},
		{
			name: "concatenated pretty-printed objects",
			in:   "{\n  \"a\": {\n    \"b\": \"}{\"\n  }\n}\n{\n  \"c\": [1, 2]\n}\n\n{\"d\": 3}\n",
			want: got{Events: []string{
				`in:1 {"a":{"b":"}{"}}`, `in:6 {"c":[1,2]}`, `in:10 {"d":3}`,
			}},
		},
		{
			name: "objects back to back on one line",
			in:   "{\"a\":1}{\"b\":2} {\"c\":3}\n",
			want: got{Events: []string{`in:1 {"a":1}`, `in:1 {"b":2}`, `in:1 {"c":3}`}},
		},
		{
			name: "truncated pretty object at end",
			in:   "{\n  \"a\": 1,\n",
			want: got{Errors: []string{"in:1: invalid JSON: unexpected end of input"}},
		},
		{
			name: "json array pretty-printed",
			in:   "[\n  {\"a\": 1},\n  {\n    \"b\": 2\n  },\n  3,\n  {\"c\": \"x\"}\n]\n",
			want: got{
				Events: []string{`in:2 {"a":1}`, `in:3 {"b":2}`, `in:7 {"c":"x"}`},
				Errors: []string{"in:6: not a JSON object: number"},
			},
		},
		{
			name: "json array on one line",
			in:   `[{"a":1},{"b":2}]`,
			want: got{Events: []string{`in:1 {"a":1}`, `in:1 {"b":2}`}},
		},
		{
			name: "empty json array",
			in:   "[ ]\n",
			want: got{},
		},
		{
			name: "broken json array keeps what came before",
			in:   "[\n{\"a\":1},\n{\"b\":}\n]",
			want: got{
				Events: []string{`in:2 {"a":1}`},
				Errors: []string{
					"in:2: invalid JSON array: invalid character '}' looking for beginning of value;" +
						" rest of the input skipped",
				},
			},
		},
		{
			name: "content after a json array",
			in:   "[{\"a\":1}]\n{\"b\":2}",
			want: got{
				Events: []string{`in:1 {"a":1}`},
				Errors: []string{"in:2: unexpected content after the JSON array"},
			},
		},
		{
			name: "byte order mark",
			in:   "\ufeff{\"a\":1}\n",
			want: got{Events: []string{`in:1 {"a":1}`}},
		},
		{
			name: "numbers keep their text",
			in:   `{"big":-9223372036854775808,"f":1.50,"e":1e3}`,
			want: got{Events: []string{`in:1 {"big":-9223372036854775808,"e":1e3,"f":1.50}`}},
		},
		{
			name: "empty input",
			in:   "",
			want: got{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, readString(t, tc.in, Options{})); diff != "" {
				t.Errorf("Read(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestReadLongLines(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 40)
	tests := []struct {
		name string
		in   string
		want got
	}{
		{
			name: "ndjson",
			in:   `{"a":1}` + "\n" + `{"b":"` + long + `"}` + "\n" + `{"c":3}` + "\n",
			want: got{
				Events: []string{`in:1 {"a":1}`, `in:3 {"c":3}`},
				Errors: []string{"in:2: line exceeds 32 bytes"},
			},
		},
		{
			name: "multi-line record over the limit",
			in:   "{\n\"a\": \"" + long[:20] + "\",\n\"b\": \"" + long[:20] + "\"\n}\n{\"c\":3}\n",
			want: got{
				Events: []string{`in:5 {"c":3}`},
				Errors: []string{"in:1: record exceeds 32 bytes"},
			},
		},
		{
			name: "text",
			in:   "short\n" + long + "\r\nafter\n",
			want: got{
				Events: []string{`in:1 {"message":"short"}`, `in:3 {"message":"after"}`},
				Errors: []string{"in:2: line exceeds 32 bytes"},
			},
		},
		{
			name: "exactly the limit with CRLF",
			in:   long[:32] + "\r\n",
			want: got{Events: []string{`in:1 {"message":"` + long[:32] + `"}`}},
		},
		{
			name: "json array element",
			in:   `[{"a":1},{"b":"` + long + `"},{"c":3}]`,
			want: got{
				Events: []string{`in:1 {"a":1}`, `in:1 {"c":3}`},
				Errors: []string{"in:1: record exceeds 32 bytes"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := readString(t, tc.in, Options{MaxLineBytes: 32})
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadLongLineBeyondBuffer(t *testing.T) {
	t.Parallel()
	// Longer than bufio's 64 KiB buffer and than the limit.
	in := "first\n" + strings.Repeat("y", 300<<10) + "\nlast\n"
	g := readString(t, in, Options{MaxLineBytes: 100 << 10})
	want := got{
		Events: []string{`in:1 {"message":"first"}`, `in:3 {"message":"last"}`},
		Errors: []string{"in:2: line exceeds 102400 bytes"},
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
	// Within the limit, but longer than the buffer.
	in = strings.Repeat("z", 200<<10) + "\n"
	g = readString(t, in, Options{})
	wantLen := len(in) - 1 + len(`in:1 {"message":""}`)
	if len(g.Events) != 1 || len(g.Errors) != 0 || len(g.Events[0]) != wantLen {
		t.Errorf("a 200 KiB line: %d events, errors %v", len(g.Events), g.Errors)
	}
}

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipped(t testing.TB, members ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(members); i += 2 {
		w, err := zw.Create(members[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(members[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadArchives(t *testing.T) {
	t.Parallel()
	inner := zipped(t, "deep.log", "deep line\n")
	tests := []struct {
		name string
		in   []byte
		want got
	}{
		{
			name: "gzip",
			in:   gzipped(t, "{\"a\":1}\n{\"b\":2}\n"),
			want: got{Events: []string{`in:1 {"a":1}`, `in:2 {"b":2}`}},
		},
		{
			name: "zip members sniffed one by one",
			in: zipped(t,
				"dir/", "",
				"a.json", "[{\"a\":1}]",
				"b.log", "plain\n",
				"c.gz", string(gzipped(t, "{\"c\":3}\n")),
				"__MACOSX/._a.json", "junk",
				"d.zip", string(inner),
			),
			want: got{Events: []string{
				`in!a.json:1 {"a":1}`,
				`in!b.log:1 {"message":"plain"}`,
				`in!c.gz:1 {"c":3}`,
				`in!d.zip!deep.log:1 {"message":"deep line"}`,
			}},
		},
		{
			name: "gzip of zip",
			in:   gzipped(t, string(zipped(t, "x.json", "{\"x\":1}"))),
			want: got{Events: []string{`in!x.json:1 {"x":1}`}},
		},
		{
			name: "empty zip",
			in:   zipped(t),
			want: got{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, readString(t, string(tc.in), Options{})); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadCorruptArchives(t *testing.T) {
	t.Parallel()
	gz := gzipped(t, strings.Repeat("line\n", 1000))
	zp := zipped(t, "a.log", strings.Repeat("line\n", 1000))
	tests := []struct {
		name string
		in   []byte
	}{
		{"truncated gzip", gz[:len(gz)/2]},
		{"bad gzip header", []byte{0x1f, 0x8b, 0, 0, 0}},
		{"truncated zip", zp[:len(zp)-30]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Read(context.Background(), bytes.NewReader(tc.in), "in", Options{},
				func(*event.Event) error { return nil }, nil)
			var re *readError
			if err == nil || !errors.As(err, &re) || !strings.HasPrefix(err.Error(), "read in") {
				t.Errorf("Read = %v, want an error reading in", err)
			}
		})
	}
}

func TestReadPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"a.json":          `{"f":"a.json"}`,
		"b.log":           "b.log line",
		"c.yml":           "skipped: true",
		"d.md":            "# skipped",
		"noext":           "noext line",
		"auth.log.1":      "rotated line",
		".hidden.log":     "skipped",
		".git/x.log":      "skipped",
		"sub/e.ndjson":    `{"f":"sub/e.ndjson"}`,
		"sub/f.jsonl.bak": "skipped",
		"sub/g.txt":       "g.txt line",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	explicit := filepath.Join(dir, "c.yml")
	g := collect(t, func(fn func(*event.Event) error, onErr func(*LineError)) error {
		opts := Options{Mapping: &event.Mapping{}}
		return ReadPaths(context.Background(), []string{dir, explicit}, opts, fn, onErr)
	})
	rel := func(s string) string { return strings.TrimPrefix(s, dir+string(filepath.Separator)) }
	for i := range g.Events {
		g.Events[i] = rel(g.Events[i])
	}
	want := got{Events: []string{
		`a.json:1 {"f":"a.json"}`,
		`auth.log.1:1 {"message":"rotated line"}`,
		`b.log:1 {"message":"b.log line"}`,
		`noext:1 {"message":"noext line"}`,
		`sub/e.ndjson:1 {"f":"sub/e.ndjson"}`,
		`sub/g.txt:1 {"message":"g.txt line"}`,
		`c.yml:1 {"message":"skipped: true"}`,
	}}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("ReadPaths (-want +got):\n%s", diff)
	}
}

func TestReadPathsErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.log")
	if err := os.WriteFile(good, []byte("ok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.log")
	var n int
	err := ReadPaths(context.Background(), []string{missing, good}, Options{},
		func(*event.Event) error { n++; return nil }, nil)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "read "+missing) {
		t.Errorf("ReadPaths error = %v, want one naming %s as not existing", err, missing)
	}
	if n != 1 {
		t.Errorf("read %d events, want 1 from the good file after the missing one", n)
	}

	// A corrupt archive in a folder does not stop the files after it.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"a.gz": {0x1f, 0x8b, 1, 2, 3}, "b.log": []byte("one\ntwo\n"),
	} {
		if err := os.WriteFile(filepath.Join(sub, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n = 0
	err = ReadPaths(context.Background(), []string{sub}, Options{},
		func(*event.Event) error { n++; return nil }, nil)
	if err == nil || !strings.Contains(err.Error(), "a.gz") || n != 2 {
		t.Errorf("ReadPaths = %v after %d events, want an error naming a.gz and 2 events", err, n)
	}

	// An error from fn stops reading and is returned as it is.
	stop := errors.New("stop")
	n = 0
	err = ReadPaths(context.Background(), []string{good, good}, Options{},
		func(*event.Event) error { n++; return stop }, nil)
	if err != stop || n != 1 {
		t.Errorf("ReadPaths = %v after %d events, want stop after 1", err, n)
	}
}

func TestReadContextCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	in := strings.Repeat("{\"a\":1}\n", 10000)
	n := 0
	err := Read(ctx, strings.NewReader(in), "in", Options{}, func(*event.Event) error {
		n++
		if n == 10 {
			cancel()
		}
		return nil
	}, nil)
	if !errors.Is(err, context.Canceled) || n >= 10000 {
		t.Errorf("Read = %v after %d events, want context.Canceled early", err, n)
	}
}

func TestReadAppliesMapping(t *testing.T) {
	t.Parallel()
	in := `{"Event":{"System":{"EventID":4688,"Channel":"Security",` +
		`"TimeCreated":{"#attributes":{"SystemTime":"2025-01-02T03:04:05Z"}}},` +
		`"EventData":{"NewProcessName":"C:\\x.exe"}}}`
	var got *event.Event
	err := Read(context.Background(), strings.NewReader(in), "in", Options{},
		func(e *event.Event) error { got = e; return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Fields["EventID"] != json.Number("4688") || got.Fields["NewProcessName"] != `C:\x.exe` {
		t.Errorf("mapped fields = %v", got.Fields)
	}
	if want := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC); !got.Time.Equal(want) {
		t.Errorf("Time = %v, want %v", got.Time, want)
	}
}

func TestLineError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  LineError
		want string
	}{
		{LineError{File: "a.log", Line: 3, Reason: "bad"}, "a.log:3: bad"},
		{LineError{Line: 7, Reason: "not a JSON object"}, "line 7: not a JSON object"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

// failingReader returns data, then an error.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadIOError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	for _, in := range []string{"{\"a\":1}\n{", "[{\"a\":1},", "text\nmore"} {
		r := &failingReader{data: []byte(in), err: boom}
		ignore := func(*event.Event) error { return nil }
		err := Read(context.Background(), r, "in", Options{}, ignore, nil)
		if !errors.Is(err, boom) {
			t.Errorf("Read(%q then error) = %v, want %v", in, err, boom)
		}
	}
}

// TestReadZipInMemoryLimit checks that a zip which must be read into memory
// (inside gzip or another zip) is bounded: a small gzip of a huge "zip" is an
// unreadable input, not gigabytes of memory.
func TestReadZipInMemoryLimit(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	small := zipped(t, "a.json", `{"a":1}`)
	// Padding that deflate cannot shrink, so that the zip itself is big.
	pad := make([]byte, 2*limit)
	rand.NewChaCha8([32]byte{}).Read(pad)
	big := zipped(t, "a.json", `{"a":1}`, "pad.bin", string(pad))
	bomb := gzipped(t, "PK\x03\x04"+strings.Repeat("\x00", 4*limit))
	tests := []struct {
		name    string
		in      []byte
		wantErr string // "" when the events are read
	}{
		{"gzip of a small zip", gzipped(t, string(small)), ""},
		{"zip in a zip, small", zipped(t, "in.zip", string(small)), ""},
		{"gzip of a big zip", gzipped(t, string(big)), "exceeds 65536 bytes"},
		{"zip in a zip, big", zipped(t, "in.zip", string(big)), "exceeds 65536 bytes"},
		{"gzip bomb posing as a zip", bomb, "exceeds 65536 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := 0
			err := Read(context.Background(), bytes.NewReader(tc.in), "in",
				Options{maxZipBytes: limit},
				func(*event.Event) error { n++; return nil }, nil)
			if tc.wantErr == "" {
				if err != nil || n == 0 {
					t.Errorf("Read = %v with %d events, want events and no error", err, n)
				}
				return
			}
			var re *readError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Read = %v, want a read error saying %q", err, tc.wantErr)
			}
		})
	}
}
