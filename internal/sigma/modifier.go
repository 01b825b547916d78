package sigma

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// posMod is where a value must appear in the field: the whole value, or
// after the contains, startswith or endswith modifiers.
type posMod uint8

const (
	posWhole posMod = iota
	posContains
	posStart
	posEnd
)

// mods is the parsed modifier chain of one selection key.
type mods struct {
	pos        posMod
	all        bool
	cased      bool
	re         bool
	reFlags    string
	transforms []string // value transformations in rule order
	cidr       bool
	exists     bool
	fieldref   bool
	expand     bool
	neq        bool
	cmp        cmpOp
	hasCmp     bool
	time       timePart
	hasTime    bool
}

// parseMods reads the modifiers after the field name of key.
func parseMods(key string, names []string) (mods, error) {
	var m mods
	for i, name := range names {
		switch name {
		case "contains", "startswith", "endswith":
			if m.pos != posWhole {
				return m, fmt.Errorf("field %q has more than one of contains, startswith "+
					"and endswith", key)
			}
			m.pos = map[string]posMod{"contains": posContains, "startswith": posStart,
				"endswith": posEnd}[name]
		case "all":
			m.all = true
		case "cased":
			m.cased = true
		case "re":
			m.re = true
		case "i", "m", "s":
			if !m.re || !onlyReFlagsBefore(names[:i]) {
				return m, fmt.Errorf("modifier %q in field %q must follow re", name, key)
			}
			m.reFlags += name
		case "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide", "windash":
			m.transforms = append(m.transforms, name)
		case "cidr":
			m.cidr = true
		case "exists":
			m.exists = true
		case "fieldref":
			m.fieldref = true
		case "expand":
			m.expand = true
		case "neq":
			m.neq = true
		case "lt", "lte", "gt", "gte":
			if m.hasCmp {
				return m, fmt.Errorf("field %q has more than one comparison modifier", key)
			}
			m.hasCmp = true
			m.cmp = map[string]cmpOp{"lt": opLt, "lte": opLte, "gt": opGt, "gte": opGte}[name]
		case "minute", "hour", "day", "week", "month", "year":
			m.hasTime = true
			m.time = map[string]timePart{"minute": partMinute, "hour": partHour, "day": partDay,
				"week": partWeek, "month": partMonth, "year": partYear}[name]
		default:
			return m, fmt.Errorf("unknown modifier %q in field %q", name, key)
		}
	}
	return m, m.check(key)
}

// onlyReFlagsBefore reports whether the modifiers between re and a regular
// expression flag are flags themselves.
func onlyReFlagsBefore(names []string) bool {
	for i := len(names) - 1; i >= 0; i-- {
		switch names[i] {
		case "re":
			return true
		case "i", "m", "s":
		default:
			return false
		}
	}
	return false
}

// check rejects modifier combinations that have no meaning.
func (m *mods) check(key string) error {
	kinds := 0
	for _, b := range []bool{m.re, m.cidr, m.exists, m.fieldref, m.hasCmp || m.hasTime} {
		if b {
			kinds++
		}
	}
	switch {
	case kinds > 1:
		return fmt.Errorf("field %q combines modifiers that each set the value type", key)
	case kinds == 1 && len(m.transforms) > 0:
		return fmt.Errorf("field %q: %s cannot follow a type modifier", key, m.transforms[0])
	case (m.re || m.cidr || m.exists || m.hasCmp || m.hasTime) && m.pos != posWhole:
		return fmt.Errorf("field %q: contains, startswith and endswith apply only to strings", key)
	case m.hasCmp && m.neq:
		return fmt.Errorf("field %q combines neq with a comparison", key)
	}
	return nil
}

// value is a rule value on its way through the transformations: a Sigma
// string with wildcards, or, once encoded, literal bytes.
type value struct {
	s       string
	literal bool
}

// transform applies one transformation modifier to each value.
func transform(name string, vals []value) ([]value, error) {
	var out []value
	for _, v := range vals {
		plain := v.s
		if !v.literal && name != "windash" {
			plain = unescape(v.s)
		}
		switch name {
		case "windash":
			if v.literal {
				out = append(out, v)
				continue
			}
			vs, err := windash(v.s)
			if err != nil {
				return nil, err
			}
			for _, s := range vs {
				out = append(out, value{s: s})
			}
		case "base64":
			out = append(out, value{base64.StdEncoding.EncodeToString([]byte(plain)), true})
		case "base64offset":
			for _, s := range base64Offsets(plain) {
				out = append(out, value{s, true})
			}
		case "utf16le", "wide":
			out = append(out, value{encodeUTF16(plain, false, false), true})
		case "utf16be":
			out = append(out, value{encodeUTF16(plain, true, false), true})
		case "utf16":
			out = append(out, value{encodeUTF16(plain, false, true), true})
		}
	}
	return out, nil
}

// unescape resolves a Sigma string's escapes, keeping wildcards as plain
// characters: encoding modifiers encode the text as written.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	toks := parseSigmaString(s)
	var b strings.Builder
	for _, t := range toks {
		switch t {
		case tokStar:
			b.WriteByte('*')
		case tokOne:
			b.WriteByte('?')
		default:
			b.WriteRune(t)
		}
	}
	return b.String()
}

// base64Offsets returns the parts of the Base64 encoding of s that do not
// depend on the bytes around it, for each of the three alignments s can
// have inside a longer encoded text.
func base64Offsets(s string) []string {
	out := make([]string, 0, 3)
	for shift := 0; shift < 3; shift++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", shift) + s))
		// The leading characters that encode the padding bytes, and the
		// trailing ones that a following byte would change, vary.
		head := [3]int{0, 2, 3}[shift]
		tail := [3]int{0, 3, 2}[(len(s)+shift)%3]
		if len(enc)-tail <= head {
			continue
		}
		out = append(out, enc[head:len(enc)-tail])
	}
	return out
}

// encodeUTF16 encodes s as UTF-16 bytes, little-endian unless be, with a
// byte order mark when bom.
func encodeUTF16(s string, be, bom bool) string {
	units := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(units)+2)
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	for _, u := range units {
		if be {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// dashes are the characters windash treats as interchangeable.
var dashes = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// maxWindash bounds the dashes one value may expand (5^n variants).
const maxWindash = 5

// windash expands each dash that starts a command line flag (after a
// non-word character or at the start, before a word character) into every
// dash variant.
func windash(s string) ([]string, error) {
	var at []int // byte offsets of flag dashes
	var widths []int
	prev := rune(-1)
	for i, r := range s {
		w := utf8.RuneLen(r)
		if isDash(r) && !isWordRune(prev) && i+w < len(s) {
			next, _ := utf8.DecodeRuneInString(s[i+w:])
			if isWordRune(next) {
				at = append(at, i)
				widths = append(widths, w)
			}
		}
		prev = r
	}
	if len(at) > maxWindash {
		return nil, fmt.Errorf("windash: value %q has %d flag dashes, more than %d", s, len(at),
			maxWindash)
	}
	out := []string{""}
	last := 0
	for k, i := range at {
		next := make([]string, 0, len(out)*len(dashes))
		for _, o := range out {
			for _, d := range dashes {
				next = append(next, o+s[last:i]+d)
			}
		}
		out = next
		last = i + widths[k]
	}
	for k := range out {
		out[k] += s[last:]
	}
	return out, nil
}

func isDash(r rune) bool {
	return r == '-' || r == '/' || r == '\u2013' || r == '\u2014' || r == '\u2015'
}

func isWordRune(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// expandPlaceholders replaces each %name% of s with each configured value
// of name; \% is a plain percent sign.
func expandPlaceholders(s string, values map[string][]string) ([]string, error) {
	out := []string{""}
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], `\%`):
			out = appendAll(out, "%")
			i += 2
		case s[i] == '%':
			end := strings.IndexByte(s[i+1:], '%')
			if end < 0 {
				out = appendAll(out, s[i:])
				i = len(s)
				continue
			}
			name := s[i+1 : i+1+end]
			vals, ok := values[name]
			if !ok {
				return nil, fmt.Errorf("unsupported: placeholder %%%s%% has no configured values "+
					"(expand modifier)", name)
			}
			var next []string
			for _, o := range out {
				for _, v := range vals {
					next = append(next, o+v)
				}
			}
			out = next
			i += end + 2
		default:
			j := strings.IndexAny(s[i+1:], `%\`)
			if j < 0 {
				j = len(s) - i - 1
			}
			out = appendAll(out, s[i:i+1+j])
			i += 1 + j
		}
	}
	return out, nil
}

func appendAll(out []string, s string) []string {
	for k := range out {
		out[k] += s
	}
	return out
}
