package anomaly

// This file holds the merge step of the Miner: each template is indexed
// under every generalization of one constant position, and templates that
// share a generalization differ in that position only. When enough of them
// have been seen (MinValues distinct values, a template with a masked value
// there counting for wildcardWeight), the position is a variable and they
// merge into the generalization. The oldest template keeps its ID.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
	// hashBase weighs a token by its position in a template's hash.
	hashBase = 0x9e3779b97f4a7c15
)

func hashToken(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

var wildcardHash = hashToken(Wildcard)

// hashTokens is a position-weighted sum of token hashes, so that replacing
// the token at one position changes it by a term computed in constant time.
func hashTokens(toks []string) uint64 {
	h, pow := uint64(len(toks)), uint64(1)
	for _, t := range toks {
		h += hashToken(t) * pow
		pow *= hashBase
	}
	return h
}

// generalized returns the hash of toks with position p made a wildcard;
// h is the hash of toks and pow is hashBase to the power p.
func generalized(h uint64, tok string, pow uint64) uint64 {
	return h - hashToken(tok)*pow + wildcardHash*pow
}

// index adds t to the live set and the indexes, then merges what the
// evidence allows (unless restoring a saved state).
func (m *Miner) index(t *template) {
	m.live[t.id] = t
	if _, ok := m.byHash[t.hash]; !ok {
		m.byHash[t.hash] = t
	}
	m.byLen[len(t.tokens)] = append(m.byLen[len(t.tokens)], t)
	var check []genKey
	pow := uint64(1)
	for p, tok := range t.tokens {
		if tok == Wildcard {
			// t may be the generalization of templates at p.
			if k := (genKey{t.hash, p}); len(m.groups[k]) > 0 {
				check = append(check, k)
			}
		} else {
			k := genKey{generalized(t.hash, tok, pow), p}
			m.groups[k] = append(m.groups[k], t)
			t.gens = append(t.gens, k)
			check = append(check, k)
		}
		pow *= hashBase
	}
	if m.restoring {
		return
	}
	for _, k := range check {
		if m.tryMerge(k) {
			return // the merge indexed the result and checked it again
		}
	}
}

// unindex removes t from the live set and the indexes.
func (m *Miner) unindex(t *template) {
	delete(m.live, t.id)
	if m.byHash[t.hash] == t {
		delete(m.byHash, t.hash)
	}
	m.byLen[len(t.tokens)] = remove(m.byLen[len(t.tokens)], t)
	if len(m.byLen[len(t.tokens)]) == 0 {
		delete(m.byLen, len(t.tokens))
	}
	for _, k := range t.gens {
		if g := remove(m.groups[k], t); len(g) > 0 {
			m.groups[k] = g
		} else {
			delete(m.groups, k)
		}
	}
	t.gens = nil
}

func remove(ts []*template, t *template) []*template {
	for i, x := range ts {
		if x == t {
			return append(ts[:i], ts[i+1:]...)
		}
	}
	return ts
}

// tryMerge merges the templates of one generalization if they are enough,
// and reports whether it did.
func (m *Miner) tryMerge(k genKey) bool {
	group := m.groups[k]
	if len(group) == 0 {
		return false
	}
	gen := make([]string, len(group[0].tokens))
	copy(gen, group[0].tokens)
	gen[k.pos] = Wildcard
	if constants(gen) < minConstants {
		return false
	}
	var all []*template
	for _, t := range group {
		if equalExcept(t.tokens, gen, k.pos) { // guards against hash collisions
			all = append(all, t)
		}
	}
	score := len(all)
	if g := m.byHash[k.hash]; g != nil && equalExcept(g.tokens, gen, -1) {
		all = append(all, g)
		score += wildcardWeight
	}
	if score < m.minValues {
		return false
	}
	m.merge(all, gen)
	return true
}

// merge folds templates into the oldest of them, which takes tokens gen.
func (m *Miner) merge(all []*template, gen []string) {
	keep := all[0]
	for _, t := range all {
		if t.id < keep.id {
			keep = t
		}
	}
	for _, t := range all {
		m.unindex(t)
		if t == keep {
			continue
		}
		t.merged = keep
		keep.count += t.count
		keep.used = max(keep.used, t.used)
		m.aliases[t.id] = keep.id
		m.absorbed = append(m.absorbed, t.id)
	}
	if len(m.aliases) > 4*m.maxTemplates {
		clear(m.aliases)
	}
	keep.tokens = gen
	keep.hash = hashTokens(gen)
	m.index(keep)
}

func constants(toks []string) int {
	n := 0
	for _, t := range toks {
		if t != Wildcard {
			n++
		}
	}
	return n
}

// equalExcept reports whether a and b are equal but for position skip.
func equalExcept(a, b []string, skip int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if i != skip && a[i] != b[i] {
			return false
		}
	}
	return true
}
