package sigma

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// patKind says how a pattern compares with a value.
type patKind uint8

const (
	patExact    patKind = iota // the whole value
	patPrefix                  // value starts with lit
	patSuffix                  // value ends with lit
	patContains                // lit anywhere in the value
	patAny                     // "*": any value, even empty
	patGlob                    // general * and ? wildcards
)

// wildcard tokens of a parsed Sigma string.
const (
	tokStar = -1 // *
	tokOne  = -2 // ?
)

// pattern is a compiled Sigma string value. Matching never allocates: case
// folding is done while comparing. An ASCII literal matches text that has
// the same ASCII letters in any case; a literal with other letters is
// compared with Unicode simple folding.
type pattern struct {
	kind  patKind
	cased bool
	lit   foldLit
	// segs are the literal segments of a glob between stars, with tokOne
	// for ?; globStart and globEnd say whether the glob is anchored there.
	segs               [][]rune
	globStart, globEnd bool
}

// parseSigmaString splits a Sigma string value into runes and wildcard
// tokens, applying the spec's escaping: \* and \? are plain characters, \\
// is one backslash, and a backslash before anything else is itself.
func parseSigmaString(s string) []rune {
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			out = append(out, rune(s[i+1]))
			i += 2
			continue
		case r == '*':
			out = append(out, tokStar)
		case r == '?':
			out = append(out, tokOne)
		default:
			out = append(out, r)
		}
		i += n
	}
	return out
}

// literalRunes turns a plain string into tokens without wildcards.
func literalRunes(s string) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		out = append(out, r)
	}
	return out
}

// compilePattern builds a pattern from tokens, adding the stars that the
// position modifiers (contains, startswith, endswith) imply.
func compilePattern(toks []rune, pos posMod, cased bool) pattern {
	if pos == posContains || pos == posEnd {
		toks = append([]rune{tokStar}, toks...)
	}
	if pos == posContains || pos == posStart {
		toks = append(toks[:len(toks):len(toks)], tokStar)
	}

	// Collapse runs of stars.
	clean := toks[:0:0]
	for _, t := range toks {
		if t == tokStar && len(clean) > 0 && clean[len(clean)-1] == tokStar {
			continue
		}
		clean = append(clean, t)
	}
	p := pattern{cased: cased}
	inner := clean
	lead := len(inner) > 0 && inner[0] == tokStar
	if lead {
		inner = inner[1:]
	}
	trail := len(inner) > 0 && inner[len(inner)-1] == tokStar
	if trail {
		inner = inner[:len(inner)-1]
	}
	if !containsWildcard(inner) {
		p.lit = newFoldLit(string(inner))
		switch {
		case lead && len(inner) == 0:
			p.kind = patAny
		case lead && trail:
			p.kind = patContains
		case lead:
			p.kind = patSuffix
		case trail:
			p.kind = patPrefix
		default:
			p.kind = patExact
		}
		return p
	}
	p.kind = patGlob
	p.globStart, p.globEnd = !lead, !trail
	var seg []rune
	for _, t := range inner {
		if t == tokStar {
			p.segs = append(p.segs, seg)
			seg = nil
			continue
		}
		seg = append(seg, t)
	}
	p.segs = append(p.segs, seg)
	return p
}

// compileLiteral builds a pattern from encoded bytes (no wildcards). Bytes
// that are not ASCII are compared exactly.
func compileLiteral(s string, pos posMod, cased bool) pattern {
	p := pattern{cased: cased || !isASCII(s), lit: newFoldLit(s)}
	switch pos {
	case posContains:
		p.kind = patContains
	case posStart:
		p.kind = patPrefix
	case posEnd:
		p.kind = patSuffix
	default:
		p.kind = patExact
	}
	return p
}

func containsWildcard(toks []rune) bool {
	for _, t := range toks {
		if t < 0 {
			return true
		}
	}
	return false
}

// foldLit is a literal prepared for case-insensitive search.
type foldLit struct {
	s string
	// anchor is the offset in s of a byte that has no case (not an ASCII
	// letter, not part of a multi-byte rune), used to find candidates with
	// strings.IndexByte; -1 when s has none.
	anchor int
	ascii  bool
	// must is a caseless rune of a non-ASCII literal that any match holds
	// byte for byte (a dash, a digit); "" when there is none.
	must string
}

func newFoldLit(s string) foldLit {
	return foldLit{s: s, anchor: anchorOf(s), ascii: isASCII(s), must: caselessRune(s)}
}

// caselessRune returns the first rune of a non-ASCII s that has no case
// partner, or "".
func caselessRune(s string) string {
	if isASCII(s) {
		return ""
	}
	for i, r := range s {
		if r != 'k' && r != 's' && r != 'K' && r != 'S' && unicode.SimpleFold(r) == r {
			return s[i : i+utf8.RuneLen(r)]
		}
	}
	return ""
}

func anchorOf(lit string) int {
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		if c < utf8.RuneSelf && !isASCIILetter(c) {
			// k and s have non-ASCII fold partners, but digits and
			// punctuation have none.
			return i
		}
	}
	return -1
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// match reports whether s matches the pattern.
func (p *pattern) match(s string) bool {
	switch p.kind {
	case patAny:
		return true
	case patExact:
		if p.cased {
			return s == p.lit.s
		}
		return strings.EqualFold(s, p.lit.s)
	case patPrefix:
		if p.cased {
			return strings.HasPrefix(s, p.lit.s)
		}
		_, ok := foldPrefix(s, p.lit.s)
		return ok
	case patSuffix:
		if p.cased {
			return strings.HasSuffix(s, p.lit.s)
		}
		return p.lit.suffixOf(s)
	case patContains:
		if p.cased {
			return strings.Contains(s, p.lit.s)
		}
		return p.lit.index(s) >= 0
	}
	return p.matchGlob(s)
}

// foldRuneEq compares two runes under simple case folding.
func foldRuneEq(a, b rune) bool {
	if a == b {
		return true
	}
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if a >= 'A' && a <= 'Z' {
			a += 'a' - 'A'
		}
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	return unicode.ToLower(a) == unicode.ToLower(b) || unicode.ToUpper(a) == unicode.ToUpper(b)
}

// foldPrefix reports whether s starts with p ignoring case, and the number
// of bytes of s the prefix covers.
func foldPrefix(s, p string) (int, bool) {
	i := 0
	for j := 0; j < len(p); {
		if i >= len(s) {
			return 0, false
		}
		a, b := s[i], p[j]
		if a < utf8.RuneSelf && b < utf8.RuneSelf {
			if a != b && !(isASCIILetter(a) && a|0x20 == b|0x20) {
				return 0, false
			}
			i++
			j++
			continue
		}
		ra, na := utf8.DecodeRuneInString(s[i:])
		rb, nb := utf8.DecodeRuneInString(p[j:])
		if !foldRuneEq(ra, rb) {
			return 0, false
		}
		i += na
		j += nb
	}
	return i, true
}

// suffixOf reports whether s ends with the literal ignoring case.
func (l *foldLit) suffixOf(s string) bool {
	p := l.s
	if len(s) < len(p) {
		return false
	}
	if strings.EqualFold(s[len(s)-len(p):], p) {
		return true
	}
	if l.ascii || isASCII(s) || l.must != "" && !strings.Contains(s, l.must) {
		return false
	}
	// A fold partner may have another byte length: walk rune starts.
	for i := 0; i < len(s); {
		if n, ok := foldPrefix(s[i:], p); ok && i+n == len(s) {
			return true
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// index returns the first offset of the literal in s ignoring case, or -1.
func (l *foldLit) index(s string) int {
	switch {
	case len(l.s) == 0:
		return 0
	case l.ascii:
		return l.indexASCII(s)
	case l.must != "" && !strings.Contains(s, l.must):
		return -1
	}
	return indexSlow(s, l.s)
}

// indexASCII searches an ASCII literal, comparing ASCII bytes only.
func (l *foldLit) indexASCII(s string) int {
	p := l.s
	if l.anchor >= 0 {
		// Jump between occurrences of a caseless byte of p.
		c := p[l.anchor]
		for from := l.anchor; from < len(s); {
			j := strings.IndexByte(s[from:], c)
			if j < 0 {
				return -1
			}
			start := from + j - l.anchor
			if start+len(p) > len(s) {
				return -1
			}
			if strings.EqualFold(s[start:start+len(p)], p) {
				return start
			}
			from += j + 1
		}
		return -1
	}
	// p is all letters: jump between occurrences of either case of its
	// first letter.
	lo, up := p[0]|0x20, p[0]&^0x20
	nextLo, nextUp := -2, -2 // -2: not searched yet
	for from := 0; from+len(p) <= len(s); {
		if nextLo != -1 && nextLo < from {
			nextLo = indexFrom(s, lo, from)
		}
		if nextUp != -1 && nextUp < from {
			nextUp = indexFrom(s, up, from)
		}
		i := nextLo
		if i < 0 || nextUp >= 0 && nextUp < i {
			i = nextUp
		}
		if i < 0 || i+len(p) > len(s) {
			return -1
		}
		if strings.EqualFold(s[i:i+len(p)], p) {
			return i
		}
		from = i + 1
	}
	return -1
}

// indexFrom returns the offset of c in s at or after from, or -1.
func indexFrom(s string, c byte, from int) int {
	if i := strings.IndexByte(s[from:], c); i >= 0 {
		return from + i
	}
	return -1
}

// indexSlow searches rune by rune with Unicode folding.
func indexSlow(s, p string) int {
	for i := 0; i < len(s); {
		if _, ok := foldPrefix(s[i:], p); ok {
			return i
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
	return -1
}

// segAt reports whether seg matches s at its start and the bytes it covers.
func (p *pattern) segAt(s string, seg []rune) (int, bool) {
	i := 0
	for _, t := range seg {
		if i >= len(s) {
			return 0, false
		}
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		switch {
		case t == tokOne:
		case p.cased:
			if r != t {
				return 0, false
			}
		case !foldRuneEq(r, t):
			return 0, false
		}
		i += n
	}
	return i, true
}

// matchGlob matches a pattern with inner wildcards: each segment is found
// at its leftmost place after the previous one, which is enough for * as
// the only variable-length token.
func (p *pattern) matchGlob(s string) bool {
	segs := p.segs
	pos := 0
	if p.globStart {
		n, ok := p.segAt(s, segs[0])
		if !ok {
			return false
		}
		if len(segs) == 1 {
			return !p.globEnd || n == len(s)
		}
		pos = n
		segs = segs[1:]
	}
	last := len(segs) - 1
	for k, seg := range segs {
		if k == last && p.globEnd {
			return p.matchTail(s[pos:], seg)
		}
		found := false
		for i := pos; i <= len(s); {
			if n, ok := p.segAt(s[i:], seg); ok {
				pos, found = i+n, true
				break
			}
			if i == len(s) {
				break
			}
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
		}
		if !found {
			return false
		}
	}
	return true
}

// matchTail reports whether s ends with seg.
func (p *pattern) matchTail(s string, seg []rune) bool {
	for i := 0; i <= len(s); {
		if n, ok := p.segAt(s[i:], seg); ok && i+n == len(s) {
			return true
		}
		if i == len(s) {
			break
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
	return false
}
