package evidence

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// EventRecord is a stored event as attached to an incident: its ID, times
// and source, and its fields as the store keeps them (JSON).
type EventRecord struct {
	ID       int64           `json:"id"`
	Time     *time.Time      `json:"time,omitempty"`
	Received time.Time       `json:"received"`
	File     string          `json:"source_file,omitempty"`
	Line     int             `json:"source_line,omitempty"`
	Fields   json.RawMessage `json:"fields"`
}

// EventsFile returns the file that attaching events stores: a JSON array
// of the records in ascending ID order, one per line, each with its keys
// in a fixed order and its fields re-encoded canonically (object keys
// sorted, numbers as stored, no HTML escaping), so that the same events
// give the same bytes, and the same SHA-256, on either store back end.
func EventsFile(events []EventRecord) ([]byte, error) {
	events = slices.Clone(events)
	slices.SortFunc(events, func(a, b EventRecord) int { return cmp.Compare(a.ID, b.ID) })
	var buf bytes.Buffer
	buf.WriteString("[")
	for i, ev := range events {
		fields, err := canonicalJSON(ev.Fields)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", ev.ID, err)
		}
		ev.Fields = fields
		if ev.Time != nil {
			t := ev.Time.UTC()
			ev.Time = &t
		}
		ev.Received = ev.Received.UTC()
		line, err := marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", ev.ID, err)
		}
		if i > 0 {
			buf.WriteString(",")
		}
		buf.WriteString("\n")
		buf.Write(line)
	}
	buf.WriteString("\n]\n")
	return buf.Bytes(), nil
}

// canonicalJSON re-encodes a JSON value with sorted keys and numbers kept
// as their text.
func canonicalJSON(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return json.RawMessage("{}"), nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return marshal(v)
}

// marshal encodes v compactly without HTML escaping.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
