package store

import (
	"slices"
	"testing"
)

// TestServiceDecoder checks the plain path and the fallback against
// DecodeServices, and that a second row reuses the first one's strings.
func TestServiceDecoder(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{``, nil},
		{`[]`, nil},
		{` [ ] `, nil},
		{`["web"]`, []string{"web"}},
		{`["payments", "web"]`, []string{"payments", "web"}},
		{`["a","a",""]`, []string{"a", "a", ""}},
		{`["caf\u00e9"]`, []string{"café"}},
		{`["tab\tin"]`, []string{"tab\tin"}},
		{`["\u003cb\u003e"]`, []string{"<b>"}},
		{`["naïve"]`, []string{"naïve"}},
		{`null`, nil},
	} {
		var d ServiceDecoder
		got, err := d.Decode(make([]string, 3), tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Decode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`[`, `["a"`, `["a",]`, `[1]`, `{}`, `["a"] x`, ` `} {
		var d ServiceDecoder
		if got, err := d.Decode(nil, bad); err == nil {
			t.Errorf("Decode(%q) = %q, want an error", bad, got)
		}
	}
	var d ServiceDecoder
	a, _ := d.Decode(nil, `["payments"]`)
	b, _ := d.Decode(nil, `["web", "payments"]`)
	if len(a) != 1 || len(b) != 2 ||
		d.seen["payments"] != a[0] || len(d.seen) != 2 {
		t.Errorf("shared strings: %q %q, seen %v", a, b, d.seen)
	}
}

// FuzzServiceDecoder checks that the decoder agrees with DecodeServices on
// any input: same services, an error exactly when it errs.
func FuzzServiceDecoder(f *testing.F) {
	for _, s := range []string{``, `[]`, `["web"]`, `["a", "b"]`, `["\u00e9"]`, `[1]`,
		`["a",]`, `null`, " [\n\"x\"\t] "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, werr := DecodeServices(s)
		var d ServiceDecoder
		got, err := d.Decode(nil, s)
		if (err != nil) != (werr != nil) {
			t.Fatalf("Decode(%q): error %v, DecodeServices error %v", s, err, werr)
		}
		if err == nil && !slices.Equal(got, want) {
			t.Fatalf("Decode(%q) = %q, DecodeServices %q", s, got, want)
		}
		got, err = d.DecodeBytes(got, []byte(s))
		if (err != nil) != (werr != nil) || err == nil && !slices.Equal(got, want) {
			t.Fatalf("DecodeBytes(%q) = %q, %v; DecodeServices %q, %v", s, got, err, want,
				werr)
		}
	})
}
