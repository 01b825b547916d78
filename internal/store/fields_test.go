package store

import (
	"encoding/json"
	"testing"
)

func TestEncodeFields(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
		want   string
	}{
		{"nil", nil, `{}`},
		{"numbers keep their text", map[string]any{"n": json.Number("12345678901234567890.50")},
			`{"n":12345678901234567890.50}`},
		{"nested", map[string]any{"a": map[string]any{"b": []any{"c", true, nil}}},
			`{"a":{"b":["c",true,null]}}`},
		{"NUL replaced", map[string]any{"k\x00": []any{"a\x00b", map[string]any{"\x00": "x"}}},
			`{"k` + "\uFFFD" + `":["a` + "\uFFFD" + `b",{"` + "\uFFFD" + `":"x"}]}`},
		{"escaped backslash before u0000 kept", map[string]any{"p": `C:\u0000`},
			`{"p":"C:\\u0000"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeFields(tt.fields)
			if err != nil {
				t.Fatalf("EncodeFields: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("EncodeFields = %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := EncodeFields(map[string]any{"f": func() {}}); err == nil {
		t.Errorf("EncodeFields(func value) succeeded, want an error")
	}
}

func TestTokenValidate(t *testing.T) {
	good := Token{Name: "admin", Hash: make([]byte, 32), Role: "admin"}
	if err := good.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v", good, err)
	}
	bad := []Token{
		{Hash: make([]byte, 32), Role: "admin"},
		{Name: "admin", Hash: make([]byte, 31), Role: "admin"},
		{Name: "admin", Hash: make([]byte, 32)},
	}
	for _, tok := range bad {
		if err := tok.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", tok)
		}
	}
}
