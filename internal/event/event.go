// Package event owns the Event type — one log record after parsing — and the
// field-mapping layer that makes differently spelled exporters look alike to
// rules. It knows nothing about where events come from (internal/ingest) or
// what matches them (internal/sigma).
package event

import (
	"strings"
	"time"
)

// Event is one log record after parsing.
//
// Fields holds the record as decoded: values are string, json.Number (JSON
// numbers are kept as their text so that string matchers need no
// conversion), bool, nil, []any or map[string]any (nested objects). Plain text
// lines become string fields. After Mapping.Apply, the Sigma field names of
// known exporters (EventID, Channel, Image, ...) exist at the top level.
//
// An Event is not safe for concurrent mutation; concurrent reads are fine.
type Event struct {
	// Time is when the record was produced, taken from its time fields; the
	// zero time when it had none.
	Time time.Time
	// Fields is the parsed record; never nil after ingest.
	Fields map[string]any
	// Source says where the record was read from.
	Source Source
}

// Source locates an event in its input: a file (or archive member) and a
// 1-based line number, or a request batch and its line.
type Source struct {
	// File is the path of the input; for an archive member it is
	// "archive.zip!member.json". Empty for events posted over HTTP.
	File string `json:"file,omitempty"`
	// Line is the 1-based line where the record starts; 0 when unknown.
	Line int `json:"line,omitempty"`
}

// String renders the source as "file:line".
func (s Source) String() string {
	if s.Line == 0 {
		return s.File
	}
	return s.File + ":" + itoa(s.Line)
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Path is a compiled field name. A name with dots addresses nested objects
// ("Event.System.EventID"); a key that itself contains the dots is preferred
// when present. Build a Path once and reuse it: Lookup does not allocate.
type Path struct {
	name  string
	parts []string
}

// NewPath compiles a field name.
func NewPath(name string) Path {
	p := Path{name: name}
	if strings.Contains(name, ".") {
		p.parts = strings.Split(name, ".")
	}
	return p
}

// Name returns the field name the path was built from.
func (p Path) Name() string { return p.name }

// Lookup returns the value at the path and whether it exists. A field that
// exists with a JSON null value returns (nil, true).
func (e *Event) Lookup(p Path) (any, bool) {
	return LookupMap(e.Fields, p)
}

// LookupMap is Lookup on a bare field map.
func LookupMap(m map[string]any, p Path) (any, bool) {
	if v, ok := m[p.name]; ok {
		return v, true
	}
	if p.parts == nil {
		return nil, false
	}
	cur := m
	for i, part := range p.parts {
		v, ok := cur[part]
		if !ok {
			return nil, false
		}
		if i == len(p.parts)-1 {
			return v, true
		}
		next, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return nil, false
}
