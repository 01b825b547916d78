package ingest

import (
	"bufio"
	"bytes"
	"context"
	"io"

	"github.com/vigilsec/vigil/internal/event"
)

// ParseBatch parses a request body of NDJSON or a JSON array of objects, as
// posted to the HTTP API. Good records become events (Source.File empty,
// Source.Line the line where the record starts); each bad one is a reject
// naming its line and reason, e.g. "line exceeds 1048576 bytes" for a line
// longer than opts.MaxLineBytes. A syntax error inside a JSON array rejects
// the rest of the array. err is set only when r cannot be read; the caller
// limits the body's size.
func ParseBatch(r io.Reader, opts Options) (
	events []*event.Event, rejects []*LineError, err error) {
	keep := func(e *event.Event) error {
		events = append(events, e)
		return nil
	}
	rd := newReader(context.Background(), opts, keep, func(le *LineError) {
		rejects = append(rejects, le)
	})
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	if sniff(br) == kindArray {
		err = rd.jsonArray(br, "")
	} else {
		err = rd.jsonObjects(br, "")
	}
	return events, rejects, err
}
