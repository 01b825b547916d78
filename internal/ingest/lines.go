package ingest

import (
	"bufio"
	"errors"
	"io"
)

// lineReader splits a stream into lines of at most max bytes, without their
// LF or CRLF ending. Unlike bufio.Scanner it survives a longer line: it
// drops the line's content, says so, and goes on with the next one.
type lineReader struct {
	br   *bufio.Reader
	max  int
	line int // number of the line last returned
	buf  []byte
}

func newLineReader(br *bufio.Reader, max int) *lineReader {
	return &lineReader{br: br, max: max}
}

// next returns the next line. The slice is valid until the following call.
// tooLong reports a line longer than max, whose content is not returned. err
// is io.EOF after the last line, or the stream's error.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.br.ReadSlice('\n')
		switch {
		case err == nil && len(lr.buf) == 0 && !tooLong:
			lr.line++
			line = trimEOL(chunk)
			return line, len(line) > lr.max, nil
		case err == nil || errors.Is(err, io.EOF) && (len(chunk) > 0 || len(lr.buf) > 0 || tooLong):
			lr.line++
			if !tooLong {
				lr.buf = append(lr.buf, chunk...)
			}
			line = trimEOL(lr.buf)
			if tooLong || len(line) > lr.max {
				return nil, true, nil
			}
			return line, false, nil
		case errors.Is(err, bufio.ErrBufferFull):
			if !tooLong {
				lr.buf = append(lr.buf, chunk...)
				// One byte of slack for a CR before the LF.
				if len(lr.buf) > lr.max+1 {
					tooLong = true
					lr.buf = lr.buf[:0]
				}
			}
		default:
			return nil, false, err
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}
