package anomaly

import "strings"

// Wildcard marks a variable part of a template, in the notation of the
// Loghub ground truth.
const Wildcard = "<*>"

// tokenize splits a message on white space and masks the variable part of
// each token, so that messages of one template yield equal token lists as far
// as the values can be recognised without context. The rules are generic:
// nothing here knows a log format.
func tokenize(msg string) (raw, masked []string) {
	raw = strings.Fields(msg)
	masked = make([]string, len(raw))
	for i, t := range raw {
		m := maskToken(maskPath(t))
		if dateWords[m] {
			m = Wildcard
		}
		// A size or duration unit after a number is part of the value:
		// "93.0 B" and "5.2 KB" are one template.
		if i > 0 && masked[i-1] == Wildcard && isUnit(m) {
			m = Wildcard + strings.TrimLeft(m, unitLetters)
		}
		masked[i] = m
	}
	return raw, masked
}

// dateWords are day and month abbreviations: parts of a time stamp.
var dateWords = map[string]bool{
	"Mon": true, "Tue": true, "Wed": true, "Thu": true, "Fri": true, "Sat": true, "Sun": true,
	"Jan": true, "Feb": true, "Mar": true, "Apr": true, "May": true, "Jun": true, "Jul": true,
	"Aug": true, "Sep": true, "Oct": true, "Nov": true, "Dec": true,
}

// units are size and duration units that follow a number.
var units = map[string]bool{
	"B": true, "KB": true, "MB": true, "GB": true, "TB": true, "PB": true,
	"kB": true, "KiB": true, "MiB": true, "GiB": true, "TiB": true,
	"ns": true, "us": true, "µs": true, "ms": true, "s": true, "sec": true, "secs": true,
	"min": true, "mins": true,
}

const unitLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZµ"

func isUnit(t string) bool { return units[strings.TrimRight(t, ",;:)]}.")] }

// maskPath replaces a file path or URL inside a token with the wildcard,
// keeping the punctuation around it: "'/etc/x/y'," becomes "'<*>',". A path
// has at least two separators, so "a/b" and "/" stay.
func maskPath(t string) string {
	if !strings.ContainsAny(t, `/\`) {
		return t
	}
	i := 0
	for i < len(t) && strings.IndexByte("'\"([{<", t[i]) >= 0 {
		i++
	}
	j := len(t)
	for j > i && strings.IndexByte("'\")]}>,;:.", t[j-1]) >= 0 {
		j--
	}
	core := t[i:j]
	if strings.IndexByte(core, '=') >= 0 {
		return t
	}
	if strings.Count(core, "/") < 2 && strings.Count(core, `\`) < 2 {
		return t
	}
	return t[:i] + Wildcard + t[j:]
}

// isDelim reports the bytes that part a token into segments: "uid=0," is the
// segments "uid" and "0" with "=" and "," around them. Dots, dashes and
// underscores join a segment, so "core.2275", "blk_-42" and "node-12" are
// one value each.
func isDelim(c byte) bool {
	switch c {
	case '=', ':', ',', ';', '(', ')', '[', ']', '{', '}', '<', '>', '"', '\'', '/', '@', '|', '\\':
		return true
	}
	return false
}

// maskToken replaces each variable segment of a token with the wildcard. A
// token left with no letter is a value as a whole ("10.0.0.1:80" is "<*>").
// A run of two or more dots also parts segments, so that padding such as
// "depth.......0" keeps its word.
func maskToken(tok string) string {
	if !hasDigit(tok) && !hasHexRun(tok) {
		return tok
	}
	var b strings.Builder
	b.Grow(len(tok))
	start := 0
	flush := func(end int) {
		if seg := tok[start:end]; isVariable(seg) {
			b.WriteString(Wildcard)
		} else {
			b.WriteString(seg)
		}
	}
	for i := 0; i < len(tok); i++ {
		switch {
		case isDelim(tok[i]):
			flush(i)
			b.WriteByte(tok[i])
			start = i + 1
		case tok[i] == '.' && i+1 < len(tok) && tok[i+1] == '.':
			flush(i)
			for i < len(tok) && tok[i] == '.' {
				b.WriteByte('.')
				i++
			}
			start = i
			i--
		}
	}
	flush(len(tok))
	out := collapseWild(b.String())
	if !hasLetterOutsideWildcards(out) {
		return Wildcard
	}
	return out
}

// collapseWild drops the delimiters between two wildcards: "<*>:<*>/<*>" is
// "<*>".
func collapseWild(s string) string {
	if !strings.Contains(s, Wildcard) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if !strings.HasPrefix(s[i:], Wildcard) {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteString(Wildcard)
		i += len(Wildcard)
		for {
			j := i
			for j < len(s) && isDelim(s[j]) && !strings.HasPrefix(s[j:], Wildcard) {
				j++
			}
			if j == i || !strings.HasPrefix(s[j:], Wildcard) {
				break
			}
			i = j + len(Wildcard)
		}
	}
	return b.String()
}

// isVariable reports whether a segment is a value: it holds a number, or it
// is a hexadecimal string (at least four characters with a digit, or eight
// without). One digit run between two letters is part of a name (A2dp,
// i18n), not a value; several are an encoded value (base64).
func isVariable(seg string) bool {
	if len(seg) >= 4 && allHex(seg) && (hasDigit(seg) || len(seg) >= 8) {
		return true
	}
	runs := 0
	for i := 0; i < len(seg); i++ {
		if !isDigit(seg[i]) {
			continue
		}
		j := i
		for j < len(seg) && isDigit(seg[j]) {
			j++
		}
		if i == 0 || j == len(seg) || !isLetter(seg[i-1]) || !isLetter(seg[j]) {
			return true
		}
		runs++
		i = j
	}
	return runs > 1
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isHex(c byte) bool    { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}

// hasLetterOutsideWildcards reports a letter (or any non-ASCII byte) in s
// that is not part of a Wildcard.
func hasLetterOutsideWildcards(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.HasPrefix(s[i:], Wildcard) {
			i += len(Wildcard) - 1
			continue
		}
		if isLetter(s[i]) || s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// hasHexRun reports a run of eight hexadecimal characters.
func hasHexRun(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			n = 0
			continue
		}
		if n++; n >= 8 {
			return true
		}
	}
	return false
}

// param returns the part of a raw token that a template token's wildcard
// stands for: "rhost=10.0.0.1" under "rhost=<*>" is "10.0.0.1". A template
// token with several wildcards yields the raw token less the constant prefix
// and suffix.
func param(tmpl, raw string) string {
	i := strings.Index(tmpl, Wildcard)
	j := strings.LastIndex(tmpl, Wildcard) + len(Wildcard)
	pre, suf := tmpl[:i], tmpl[j:]
	if len(pre)+len(suf) <= len(raw) && strings.HasPrefix(raw, pre) && strings.HasSuffix(raw, suf) {
		return raw[len(pre) : len(raw)-len(suf)]
	}
	return raw
}
