package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/vigilsec/vigil/internal/event"
)

// checkRead reads data and checks what any reader must hold: no panic, no
// error from an in-memory stream that is not an archive, events and bad
// records in line order within the input's line count.
func checkRead(t *testing.T, data []byte, read func(*reader) error, rd *reader) {
	t.Helper()
	lines := bytes.Count(data, []byte{'\n'}) + 1
	last := 0
	rd.fn = func(e *event.Event) error {
		if e.Fields == nil {
			t.Fatalf("event with nil fields at %v", e.Source)
		}
		if e.Source.Line < 1 || e.Source.Line > lines || e.Source.Line < last {
			t.Fatalf("event at line %d; input has %d lines, last was %d",
				e.Source.Line, lines, last)
		}
		last = e.Source.Line
		return nil
	}
	rd.onErr = func(le *LineError) {
		if le.Line < 1 || le.Line > lines || le.Reason == "" {
			t.Fatalf("bad LineError %+v; input has %d lines", le, lines)
		}
	}
	if err := read(rd); err != nil {
		t.Fatalf("read: %v", err)
	}
}

func bufioReader(data []byte) *bufio.Reader {
	return bufio.NewReader(bytes.NewReader(data))
}

func fuzzReader() *reader {
	return newReader(context.Background(), Options{MaxLineBytes: 256, Now: fixedNow}, nil, nil)
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{\"b\":[1,{\"c\":\"}\"}]}\n"))
	f.Add([]byte("{\n  \"Event\": {\n    \"System\": {\"EventID\": 1}\n  }\n}\n{\n  \"x\": 2\n}\n"))
	f.Add([]byte("{\"a\": \"open\n{\"b\":2}\n42\nnull\n"))
	f.Add([]byte("{\"a\":1}{\"b\":2}\r\n"))
	f.Add([]byte("[\n {\"a\":1},\n 3,\n {\"b\":\n 2}\n]\n"))
	f.Add([]byte("[{\"a\":1}] trailing"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRead(t, data, func(rd *reader) error {
			return rd.jsonObjects(bufioReader(data), "fuzz")
		}, fuzzReader())
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")) {
			checkRead(t, data, func(rd *reader) error {
				return rd.jsonArray(bufioReader(data), "fuzz")
			}, fuzzReader())
		}
	})
}

func FuzzSyslog3164(f *testing.F) {
	f.Add("Mar 30 16:01:36 ip-10-77-20-248 sshd[5297]: Accepted password for elastic_user_0")
	f.Add("<34>Oct  1 22:14:15 mymachine su: 'su root' failed")
	f.Add("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure")
	f.Add("Apr  2 09:00:01 web pam_unix(cron:session): session opened")
	f.Add("<13>Feb  5 17:32:18.123456 kernel: x")
	f.Fuzz(func(t *testing.T, line string) {
		tp := newTextParser(Options{Now: fixedNow})
		f, ts, ok := tp.parse3164(line)
		if !ok {
			return
		}
		checkFields(t, line, f)
		if ts.IsZero() || f["timestamp"] != ts.Format(time.RFC3339Nano) {
			t.Fatalf("parse3164(%q): time %v, timestamp %v", line, ts, f["timestamp"])
		}
	})
}

func FuzzSyslog5424(f *testing.F) {
	f.Add("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \ufeff'su root' failed")
	f.Add(`<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - [a@1 b="c\"]"][d@2 e="f"] m`)
	f.Add("<0>1 - - - - - -")
	f.Add(`<13>1 2025-01-01T00:00:00Z h app - - [id@1 a="b] text`)
	f.Fuzz(func(t *testing.T, line string) {
		f, _, ok := parse5424(line)
		if !ok {
			return
		}
		checkFields(t, line, f)
		if sd, ok := f["structured_data"]; ok {
			if m, ok := sd.(map[string]any); !ok || len(m) == 0 {
				t.Fatalf("parse5424(%q): structured_data %v", line, sd)
			}
		}
	})
}

func FuzzAccessLog(f *testing.F) {
	f.Add(`83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /a.png?x=1 HTTP/1.1" 200 203023 "http://r/" "UA"`)
	f.Add(`127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "POST /login HTTP/1.0" 302 -`)
	f.Add(`2001:db8::1 - - [01/Jan/2025:00:00:00 +0100] "GET /a\"b HTTP/2.0" 404 12 "-" "c \"x\"" "x"`)
	f.Fuzz(func(t *testing.T, line string) {
		f, ts, ok := parseAccess(line)
		if !ok {
			return
		}
		checkFields(t, line, f)
		if ts.IsZero() {
			t.Fatalf("parseAccess(%q): zero time", line)
		}
		uri, _ := f["c-uri"].(string)
		if stem, ok := f["c-uri-stem"].(string); ok && !strings.HasPrefix(uri, stem) {
			t.Fatalf("parseAccess(%q): stem %q not a prefix of %q", line, stem, uri)
		}
	})
}

// checkFields checks that parsed string fields hold no line break: a line
// parser cannot invent one.
func checkFields(t *testing.T, line string, f map[string]any) {
	t.Helper()
	if strings.ContainsAny(line, "\r\n") {
		return
	}
	for k, v := range f {
		if s, ok := v.(string); ok && strings.ContainsAny(s, "\r\n") {
			t.Fatalf("parse(%q): field %s = %q", line, k, s)
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add([]byte("Dec 31 23:59:59 h p: x\nJan  1 00:00:01 h p[1]: y\r\nplain\n\n"))
	f.Add([]byte("<34>1 2003-10-11T22:14:15.003Z h su - ID47 - msg\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRead(t, data, func(rd *reader) error {
			return rd.text(bufioReader(data), "fuzz")
		}, fuzzReader())
	})
}

func FuzzParseBatch(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{\"b\":2}\n"))
	f.Add([]byte("[{\"a\":1},\n2,\n{\"b\":\"x\"}]"))
	f.Add([]byte("{\"a\":1}\nnot json\n" + strings.Repeat("x", 300) + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte{'\n'}) + 1
		events, rejects, err := ParseBatch(bytes.NewReader(data), Options{MaxLineBytes: 256})
		if err != nil {
			t.Fatalf("ParseBatch: %v", err)
		}
		for _, e := range events {
			if e.Source.Line < 1 || e.Source.Line > lines || e.Source.File != "" {
				t.Fatalf("event at %+v; input has %d lines", e.Source, lines)
			}
		}
		for _, r := range rejects {
			if r.Line < 1 || r.Line > lines {
				t.Fatalf("reject at line %d; input has %d lines", r.Line, lines)
			}
		}
	})
}

// FuzzJSONRoundTrip checks that any object, written as NDJSON, pretty-printed
// back to back, or as an array, reads back as it was.
func FuzzJSONRoundTrip(f *testing.F) {
	f.Add("EventID", "4688", "CommandLine", `cmd /c "echo }{ [" \ x`)
	f.Add("", "", "\u2028", "\x00\n\r")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		for _, s := range []string{k1, v1, k2, v2} {
			if !utf8.ValidString(s) {
				t.Skip("json.Marshal replaces invalid UTF-8")
			}
		}
		obj := map[string]any{k1: v1, k2: map[string]any{k1: []any{v2, json.Number("1")}}}
		line, err := json.Marshal(obj)
		if err != nil {
			t.Skip()
		}
		pretty, _ := json.MarshalIndent(obj, "", "  ")
		inputs := map[string]string{
			"ndjson":   string(line) + "\n" + string(line) + "\r\n",
			"pretty":   string(pretty) + "\n" + string(pretty),
			"array":    "[" + string(pretty) + ",\n" + string(line) + "]",
			"no final": string(line) + "\n" + string(line),
		}
		for name, in := range inputs {
			var got []map[string]any
			err := Read(context.Background(), strings.NewReader(in), "in",
				Options{Mapping: &event.Mapping{}},
				func(e *event.Event) error { got = append(got, e.Fields); return nil },
				func(le *LineError) { t.Errorf("%s: %v", name, le) })
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want := []map[string]any{obj, obj}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s %q (-want +got):\n%s", name, in, diff)
			}
		}
	})
}
