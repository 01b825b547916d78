package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// jsonObjects reads JSON objects one after another: one per line (NDJSON),
// or spread over several lines (pretty-printed objects back to back). It
// tracks bracket depth line by line; a record ends on the line where depth
// returns to zero. Because a JSON string cannot hold a raw newline, a line
// that ends inside a string ends a (broken) record too, and a line that
// starts with "{" in column 0 inside an unfinished record starts a new one;
// so one bad NDJSON line costs only itself.
func (rd *reader) jsonObjects(br *bufio.Reader, name string) error {
	lr := newLineReader(br, rd.opts.MaxLineBytes)
	var rec objectRecord
	for {
		line, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			if rec.pending() && !rec.skipping {
				rd.reject(name, rec.start, "invalid JSON: unexpected end of input")
			}
			return nil
		}
		if err != nil {
			return &readError{name, err}
		}
		if tooLong || rec.pending() && len(line) > 0 && line[0] == '{' {
			if rec.pending() && !rec.skipping {
				rd.reject(name, rec.start, "invalid JSON: object not closed")
			}
			rec.reset()
		}
		if tooLong {
			rd.rejectLong(name, lr.line, false)
			continue
		}
		if err := rd.objectLine(name, lr.line, line, &rec); err != nil {
			return err
		}
	}
}

// objectLine adds one line to the record being gathered, decoding the record
// when the line ends it.
func (rd *reader) objectLine(name string, n int, line []byte, rec *objectRecord) error {
	if !rec.pending() {
		if len(bytes.TrimSpace(line)) == 0 {
			return nil
		}
		rec.start = n
		if rec.scan(line) {
			// A one-line record, the NDJSON case: decode it in place.
			rec.reset()
			return rd.decodeValues(name, n, line)
		}
	} else if done := rec.scan(line); rec.skipping {
		if done {
			rec.reset()
		}
		return nil
	}

	rec.data = append(rec.data, line...)
	rec.data = append(rec.data, '\n')
	if len(rec.data) > rd.opts.MaxLineBytes {
		rd.rejectLong(name, rec.start, true)
		rec.skipping = true
		rec.data = rec.data[:0]
		if rec.depth == 0 {
			rec.reset()
		}
		return nil
	}
	if rec.depth > 0 {
		return nil
	}
	err := rd.decodeValues(name, rec.start, rec.data)
	rec.reset()
	return err
}

// objectRecord is a JSON record being gathered over lines.
type objectRecord struct {
	start    int  // line where it starts
	depth    int  // open brackets after the last line; 0 once it ends
	multi    bool // spans lines and has not ended
	skipping bool // over the size limit: drop lines until it ends
	data     []byte
}

func (r *objectRecord) pending() bool { return r.multi }

func (r *objectRecord) reset() {
	*r = objectRecord{data: r.data[:0]}
}

// scan updates the bracket depth with one line and reports whether the
// record ends on it: depth back to zero or below, or a string left open,
// which no later line can close. Broken records end too; the decoder names
// what is wrong with them.
func (r *objectRecord) scan(line []byte) (done bool) {
	depth, inString, escaped := r.depth, false, false
	for _, c := range line {
		switch {
		case escaped:
			escaped = false
		case inString:
			switch c {
			case '\\':
				escaped = true
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	if inString || depth <= 0 {
		r.depth = 0
		return true
	}
	r.depth = depth
	r.multi = true
	return false
}

// decodeValues decodes every JSON value in data, which starts on line start,
// emitting objects and rejecting the rest. It stops at the first syntax
// error. It returns only fn's error.
func (rd *reader) decodeValues(name string, start int, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		at := skipSpace(data, int(dec.InputOffset()))
		line := start + bytes.Count(data[:at], []byte{'\n'})
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			rd.reject(name, line, "invalid JSON: "+jsonReason(err))
			return nil
		}
		obj, ok := v.(map[string]any)
		if !ok {
			rd.reject(name, line, "not a JSON object: "+typeName(v))
			continue
		}
		if err := rd.emit(name, line, obj, time.Time{}); err != nil {
			return err
		}
	}
}

func jsonReason(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// rawTypeName names the type of a JSON value from its first byte.
func rawTypeName(c byte) string {
	switch c {
	case '"':
		return "string"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// jsonArray streams the elements of a top-level JSON array. A syntax error
// cannot be stepped over inside an array: it is rejected and the rest of the
// stream is skipped.
//
// TODO: an element is held whole in memory before the MaxLineBytes check;
// a huge element in a file costs memory equal to its size.
func (rd *reader) jsonArray(br *bufio.Reader, name string) error {
	lc := &lineCounter{r: br}
	dec := json.NewDecoder(lc)
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // the "[" that sniff saw
		return rd.arrayError(name, lc, dec, err)
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return rd.arrayError(name, lc, dec, err)
		}
		line := lc.lineAt(dec.InputOffset() - int64(len(raw)))
		if len(raw) > rd.opts.MaxLineBytes {
			rd.rejectLong(name, line, true)
			continue
		}
		if raw[0] != '{' {
			rd.reject(name, line, "not a JSON object: "+rawTypeName(raw[0]))
			continue
		}
		var obj map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&obj); err != nil {
			rd.reject(name, line, "invalid JSON: "+jsonReason(err))
			continue
		}
		if err := rd.emit(name, line, obj, time.Time{}); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // "]"
		return rd.arrayError(name, lc, dec, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		rd.reject(name, lc.lineAt(dec.InputOffset()), "unexpected content after the JSON array")
	}
	return nil
}

// arrayError rejects a syntax error and ends the array; an I/O error of the
// stream is returned.
func (rd *reader) arrayError(name string, lc *lineCounter, dec *json.Decoder, err error) error {
	if lc.err != nil && !errors.Is(lc.err, io.EOF) {
		return &readError{name, lc.err}
	}
	line := lc.lineAt(dec.InputOffset())
	rd.reject(name, line, "invalid JSON array: "+jsonReason(err)+"; rest of the input skipped")
	return nil
}

// lineCounter passes a stream through and remembers where its newlines are,
// so that byte offsets can be turned into line numbers. Offsets must be asked
// in increasing order; newlines before the last one asked are forgotten.
type lineCounter struct {
	r      io.Reader
	err    error
	read   int64   // bytes read so far
	nl     []int64 // offsets of newlines not yet passed
	passed int     // newlines before the last offset asked
}

func (lc *lineCounter) Read(p []byte) (int, error) {
	n, err := lc.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			lc.nl = append(lc.nl, lc.read+int64(i))
		}
	}
	lc.read += int64(n)
	if err != nil {
		lc.err = err
	}
	return n, err
}

// lineAt returns the 1-based line holding byte offset off.
func (lc *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(lc.nl) && lc.nl[i] < off {
		i++
	}
	lc.passed += i
	lc.nl = lc.nl[:copy(lc.nl, lc.nl[i:])]
	return lc.passed + 1
}
