package incident

import (
	"encoding/hex"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// IndicatorKind is the type of an indicator of compromise.
type IndicatorKind string

// Indicator kinds.
const (
	KindIP      IndicatorKind = "ip"
	KindCIDR    IndicatorKind = "cidr"
	KindDomain  IndicatorKind = "domain"
	KindURL     IndicatorKind = "url"
	KindHash    IndicatorKind = "hash"
	KindUser    IndicatorKind = "user"
	KindHost    IndicatorKind = "host"
	KindProcess IndicatorKind = "process"
	KindEmail   IndicatorKind = "email"
	KindOther   IndicatorKind = "other"
)

// IndicatorKinds lists every kind.
func IndicatorKinds() []IndicatorKind {
	return []IndicatorKind{KindIP, KindCIDR, KindDomain, KindURL, KindHash, KindUser, KindHost,
		KindProcess, KindEmail, KindOther}
}

// maxIndicatorLen bounds an indicator's value, in bytes.
const maxIndicatorLen = 4096

// Indicator is an indicator of compromise seen in the incident. Value is
// normalized by ParseIndicator, so equal indicators compare equal.
type Indicator struct {
	Kind      IndicatorKind `json:"kind"`
	Value     string        `json:"value"`
	FirstSeen time.Time     `json:"first_seen,omitzero"`
	LastSeen  time.Time     `json:"last_seen,omitzero"`
	// Source says where it was seen: a rule ID, an alert, a feed, a person.
	Source string `json:"source,omitempty"`
}

// ParseIndicator validates value as kind and returns the indicator with its
// normalized value (FirstSeen, LastSeen and Source left for the caller):
//   - ip: net/netip canonical form, IPv4-mapped IPv6 unmapped, no zone;
//   - cidr: the masked prefix ("10.1.2.3/8" → "10.0.0.0/8");
//   - domain: lowercase, trailing dot dropped, Unicode labels in Punycode
//     ("Bücher.Example." → "xn--bcher-kva.example");
//   - url: needs a scheme and a host; scheme and host normalized as above;
//   - hash: hex of an MD5, SHA-1, SHA-256 or SHA-512 (by length), lowercase;
//   - email: a bare address (no display name), its domain normalized;
//   - host: lowercase; user, process, other: kept as given.
//
// Every value is trimmed of surrounding space and must be valid UTF-8 without
// control characters. Errors wrap ErrInvalidIndicator.
func ParseIndicator(kind IndicatorKind, value string) (Indicator, error) {
	v := strings.TrimSpace(value)
	bad := func(format string, args ...any) (Indicator, error) {
		return Indicator{}, fmt.Errorf("incident: %s indicator %q: %s: %w", kind, value,
			fmt.Sprintf(format, args...), ErrInvalidIndicator)
	}
	switch {
	case v == "":
		return bad("empty")
	case len(v) > maxIndicatorLen:
		return bad("longer than %d bytes", maxIndicatorLen)
	case !utf8.ValidString(v):
		return bad("not UTF-8")
	case strings.ContainsFunc(v, unicode.IsControl):
		return bad("contains a control character")
	}
	norm, err := normalize(kind, v)
	if err != nil {
		return bad("%v", err)
	}
	return Indicator{Kind: kind, Value: norm}, nil
}

// normalize dispatches on kind; v is trimmed, valid UTF-8, non-empty.
func normalize(kind IndicatorKind, v string) (string, error) {
	switch kind {
	case KindIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return "", err
		}
		return a.Unmap().WithZone("").String(), nil
	case KindCIDR:
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return "", err
		}
		return p.Masked().String(), nil
	case KindDomain:
		return normalizeDomain(v)
	case KindURL:
		return normalizeURL(v)
	case KindHash:
		return normalizeHash(v)
	case KindEmail:
		return normalizeEmail(v)
	case KindHost:
		if strings.ContainsFunc(v, unicode.IsSpace) {
			return "", fmt.Errorf("contains a space")
		}
		return strings.ToLower(v), nil
	case KindUser, KindProcess, KindOther:
		return v, nil
	}
	return "", fmt.Errorf("unknown kind")
}

// HashAlgorithm names the algorithm of a hash indicator by its length: "md5",
// "sha1", "sha256", "sha512", or "" for another kind or length.
func (i Indicator) HashAlgorithm() string {
	if i.Kind != KindHash {
		return ""
	}
	return hashAlgorithms[len(i.Value)]
}

var hashAlgorithms = map[int]string{32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}

func normalizeHash(v string) (string, error) {
	v = strings.ToLower(v)
	if _, ok := hashAlgorithms[len(v)]; !ok {
		return "", fmt.Errorf("%d hex digits match no md5, sha1, sha256 or sha512", len(v))
	}
	if _, err := hex.DecodeString(v); err != nil {
		return "", fmt.Errorf("not hexadecimal")
	}
	return v, nil
}

// normalizeDomain lowercases a domain, drops a trailing dot, encodes Unicode
// labels with Punycode and checks each label (letters, digits, '-', '_';
// 1–63 bytes; no leading or trailing '-') and the whole (at most 253 bytes).
// TODO: no UTS #46 mapping (NFC, width folding) beyond lowercasing, for want
// of golang.org/x/net/idna in go.mod; exotic Unicode spellings may not match.
func normalizeDomain(v string) (string, error) {
	v = strings.Map(func(r rune) rune {
		if r == '\u3002' || r == '\uff0e' || r == '\uff61' { // ideographic full stops
			return '.'
		}
		return unicode.ToLower(r)
	}, v)
	v = strings.TrimSuffix(v, ".")
	labels := strings.Split(v, ".")
	for i, l := range labels {
		a, err := asciiLabel(l)
		if err != nil {
			return "", fmt.Errorf("label %q: %w", l, err)
		}
		labels[i] = a
	}
	out := strings.Join(labels, ".")
	if len(out) > 253 {
		return "", fmt.Errorf("longer than 253 bytes")
	}
	return out, nil
}

// asciiLabel checks one lowercase label and returns its ASCII form.
func asciiLabel(l string) (string, error) {
	ascii := true
	for _, r := range l {
		switch {
		case r >= utf8.RuneSelf:
			if !unicode.In(r, unicode.L, unicode.M, unicode.N) {
				return "", fmt.Errorf("character %q not allowed", r)
			}
			ascii = false
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return "", fmt.Errorf("character %q not allowed", r)
		}
	}
	if !ascii {
		// Punycode is never shorter than its input in runes.
		if utf8.RuneCountInString(l) > 63 {
			return "", fmt.Errorf("longer than 63 characters")
		}
		enc, err := punycode(l)
		if err != nil {
			return "", err
		}
		l = "xn--" + enc
	}
	switch {
	case l == "":
		return "", fmt.Errorf("empty")
	case len(l) > 63:
		return "", fmt.Errorf("longer than 63 bytes")
	case l[0] == '-' || l[len(l)-1] == '-':
		return "", fmt.Errorf("starts or ends with '-'")
	}
	return l, nil
}

func normalizeURL(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil {
		return "", err
	}
	if u.Scheme == "" {
		return "", fmt.Errorf("no scheme")
	}
	if u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("no host")
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.Unmap().WithZone("").String()
	} else if host, err = normalizeDomain(host); err != nil {
		return "", fmt.Errorf("host: %w", err)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" {
		host += ":" + p
	}
	u.Host = host
	u.Scheme = strings.ToLower(u.Scheme)
	out := u.String()
	if again, err := url.Parse(out); err != nil || again.String() != out {
		return "", fmt.Errorf("does not round-trip")
	}
	return out, nil
}

func normalizeEmail(v string) (string, error) {
	a, err := mail.ParseAddress(v)
	if err != nil {
		return "", err
	}
	if a.Name != "" || a.Address != v {
		return "", fmt.Errorf("want a bare address")
	}
	at := strings.LastIndexByte(v, '@')
	domain, err := normalizeDomain(v[at+1:])
	if err != nil {
		return "", fmt.Errorf("domain: %w", err)
	}
	out := v[:at+1] + domain
	if a, err := mail.ParseAddress(out); err != nil || a.Address != out {
		return "", fmt.Errorf("does not round-trip")
	}
	return out, nil
}

// Key returns "kind:value", the indicator's identity for matching.
func (i Indicator) Key() string { return string(i.Kind) + ":" + i.Value }
