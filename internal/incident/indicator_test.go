package incident

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseIndicator(t *testing.T) {
	t.Parallel()
	sha256 := strings.Repeat("ab", 32)
	tests := []struct {
		kind  IndicatorKind
		in    string
		want  string // "" for an error
		algor string
	}{
		{KindIP, " 192.0.2.1 ", "192.0.2.1", ""},
		{KindIP, "2001:DB8::0:1", "2001:db8::1", ""},
		{KindIP, "::ffff:192.0.2.1", "192.0.2.1", ""},
		{KindIP, "fe80::1%eth0", "fe80::1", ""},
		{KindIP, "192.0.2.256", "", ""},
		{KindIP, "example.com", "", ""},
		{KindCIDR, "10.1.2.3/8", "10.0.0.0/8", ""},
		{KindCIDR, "2001:db8::/32", "2001:db8::/32", ""},
		{KindCIDR, "10.0.0.0/33", "", ""},
		{KindCIDR, "10.0.0.0", "", ""},
		{KindDomain, "Evil.Example.COM.", "evil.example.com", ""},
		{KindDomain, "Bücher.example", "xn--bcher-kva.example", ""},
		{KindDomain, "MÜNCHEN.de", "xn--mnchen-3ya.de", ""},
		{KindDomain, "例え.テスト", "xn--r8jz45g.xn--zckzah", ""},
		{KindDomain, "a。b", "a.b", ""},
		{KindDomain, "_dmarc.example.com", "_dmarc.example.com", ""},
		{KindDomain, "-bad.example", "", ""},
		{KindDomain, "a..b", "", ""},
		{KindDomain, "exa mple.com", "", ""},
		{KindDomain, "http://example.com", "", ""},
		{KindDomain, strings.Repeat("a", 64) + ".com", "", ""},
		{KindDomain, strings.Repeat("a.", 127) + "com", "", ""},
		{KindURL, "HTTP://Evil.Example.com:8080/a/B?q=1#f",
			"http://evil.example.com:8080/a/B?q=1#f", ""},
		{KindURL, "https://[2001:DB8::1]/x", "https://[2001:db8::1]/x", ""},
		{KindURL, "https://bücher.example/", "https://xn--bcher-kva.example/", ""},
		{KindURL, "evil.example.com/path", "", ""},
		{KindURL, "mailto:a@example.com", "", ""},
		{KindURL, "http://", "", ""},
		{KindURL, "http://exa mple.com/", "", ""},
		{KindHash, strings.Repeat("A", 32), strings.Repeat("a", 32), "md5"},
		{KindHash, strings.Repeat("0", 40), strings.Repeat("0", 40), "sha1"},
		{KindHash, sha256, sha256, "sha256"},
		{KindHash, strings.Repeat("f", 128), strings.Repeat("f", 128), "sha512"},
		{KindHash, strings.Repeat("a", 31), "", ""},
		{KindHash, strings.Repeat("g", 32), "", ""},
		{KindEmail, "Alice@Mail.Example.COM", "Alice@mail.example.com", ""},
		{KindEmail, "bob@bücher.example", "bob@xn--bcher-kva.example", ""},
		{KindEmail, "Alice <alice@example.com>", "", ""},
		{KindEmail, "alice", "", ""},
		{KindEmail, "alice@-x.com", "", ""},
		{KindHost, "WEB-01.Prod", "web-01.prod", ""},
		{KindHost, "web 01", "", ""},
		{KindUser, " CORP\\Alice ", "CORP\\Alice", ""},
		{KindProcess, "C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\System32\\cmd.exe", ""},
		{KindOther, "anything at all", "anything at all", ""},
		{KindOther, "   ", "", ""},
		{KindOther, "a\x00b", "", ""},
		{KindOther, "\xff", "", ""},
		{KindOther, strings.Repeat("x", maxIndicatorLen+1), "", ""},
		{"registry", "HKLM\\x", "", ""},
	}
	for _, tt := range tests {
		got, err := ParseIndicator(tt.kind, tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrInvalidIndicator) {
				t.Errorf("ParseIndicator(%s, %q) = %q, %v; want ErrInvalidIndicator", tt.kind,
					tt.in, got.Value, err)
			}
			continue
		}
		if err != nil || got.Value != tt.want || got.Kind != tt.kind {
			t.Errorf("ParseIndicator(%s, %q) = %+v, %v; want %q", tt.kind, tt.in, got, err,
				tt.want)
			continue
		}
		if a := got.HashAlgorithm(); a != tt.algor {
			t.Errorf("HashAlgorithm(%q) = %q, want %q", got.Value, a, tt.algor)
		}
	}
}

func TestPunycode(t *testing.T) {
	t.Parallel()
	// Vectors from RFC 3492 §7.1 (lowercased), checked against Python's codec.
	tests := map[string]string{
		"bücher":    "bcher-kva",
		"münchen":   "mnchen-3ya",
		"例え":        "r8jz45g",
		"他们为什么不说中文": "ihqwcrb4cv8a8dqg056pqjye",
		"ліпецьк":   "e1akbq0byb4d",
		"3年b組金八先生":  "3b-ww4c5e180e575a65lsy2b",
		"почемужеонинеговорятпорусски": "b1abfaaepdrnnbgefbadotcwatmq2g4l",
	}
	for in, want := range tests {
		if got, err := punycode(in); err != nil || got != want {
			t.Errorf("punycode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func FuzzParseIndicator(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "::ffff:1.2.3.4", "10.0.0.0/8", "Bücher.example.",
		"https://Example.com:1/a?b#c", strings.Repeat("A", 64), "a@B.c", "host", "x y",
		"http://[::1%25eth0]/", "xn--bcher-kva.example"} {
		for _, k := range IndicatorKinds() {
			f.Add(string(k), s)
		}
	}
	f.Fuzz(func(t *testing.T, kind, value string) {
		got, err := ParseIndicator(IndicatorKind(kind), value)
		if err != nil {
			if !errors.Is(err, ErrInvalidIndicator) {
				t.Fatalf("error %v does not wrap ErrInvalidIndicator", err)
			}
			return
		}
		if got.Value == "" || !utf8.ValidString(got.Value) {
			t.Fatalf("ParseIndicator(%q, %q) = %q: empty or not UTF-8", kind, value, got.Value)
		}
		// Normalization is idempotent: the normal form parses to itself.
		again, err := ParseIndicator(IndicatorKind(kind), got.Value)
		if err != nil || again.Value != got.Value {
			t.Fatalf("ParseIndicator(%q, %q) = %q, which reparses to %q, %v", kind, value,
				got.Value, again.Value, err)
		}
	})
}
