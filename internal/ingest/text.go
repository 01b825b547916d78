package ingest

import (
	"bufio"
	"errors"
	"io"
	"time"
)

// text reads plain text lines, each parsed by the first line format that
// fits: syslog RFC 5424, syslog RFC 3164, an access log line, or else a bare
// message.
func (rd *reader) text(br *bufio.Reader, name string) error {
	lr := newLineReader(br, rd.opts.MaxLineBytes)
	tp := newTextParser(rd.opts)
	for {
		line, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &readError{name, err}
		}
		if tooLong {
			rd.rejectLong(name, lr.line, false)
			continue
		}
		if isBlank(line) {
			continue
		}
		fields, t := tp.parse(string(line))
		if err := rd.emit(name, lr.line, fields, t); err != nil {
			return err
		}
	}
}

func isBlank(b []byte) bool {
	return skipSpace(b, 0) == len(b)
}

// textParser parses the lines of one stream; it carries the RFC 3164 year
// from line to line.
type textParser struct {
	year yearGuesser
}

func newTextParser(opts Options) *textParser {
	return &textParser{year: yearGuesser{fixed: opts.Year, now: opts.Now}}
}

// parse returns the fields of one line and its time (zero when it has none).
func (tp *textParser) parse(line string) (map[string]any, time.Time) {
	if len(line) > 0 {
		c := line[0]
		if c == '<' {
			if f, t, ok := parse5424(line); ok {
				return f, t
			}
		}
		if c == '<' || c >= 'A' && c <= 'S' {
			if f, t, ok := tp.parse3164(line); ok {
				return f, t
			}
		}
		if isHostByte(c) {
			if f, t, ok := parseAccess(line); ok {
				return f, t
			}
		}
	}
	return map[string]any{"message": line}, time.Time{}
}

// isHostByte reports whether c can start an access log's client address: an
// IPv4 or IPv6 address or a host name.
func isHostByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ':'
}
