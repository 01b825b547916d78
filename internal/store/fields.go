package store

import (
	"bytes"
	"encoding/json"
	"strings"
)

// EncodeFields encodes event fields as both back ends store them: JSON, with
// json.Number values kept as their text. PostgreSQL cannot hold U+0000 in a
// JSON value, so both back ends replace it (in keys and strings) with U+FFFD;
// invalid UTF-8 is replaced the same way by encoding/json. (PostgreSQL also
// rewrites a number in exponent form, 1e3, as 1000, and reorders keys: read
// stored fields as JSON, not as text.)
func EncodeFields(fields map[string]any) ([]byte, error) {
	if fields == nil {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	// A NUL is always escaped as \u0000 by encoding/json; only then is the
	// slower copy needed. The check may match an escaped backslash followed
	// by "u0000", which costs a copy but changes nothing.
	if !bytes.Contains(b, []byte(`\u0000`)) {
		return b, nil
	}
	return json.Marshal(withoutNUL(fields))
}

// withoutNUL returns a copy of v with U+0000 replaced in every string and key.
func withoutNUL(v any) any {
	switch v := v.(type) {
	case string:
		return strings.ReplaceAll(v, "\x00", "\uFFFD")
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[strings.ReplaceAll(k, "\x00", "\uFFFD")] = withoutNUL(e)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = withoutNUL(e)
		}
		return a
	}
	return v
}
