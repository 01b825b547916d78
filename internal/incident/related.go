package incident

import (
	"slices"
	"strings"
)

// Suggestion proposes linking two incidents that share indicators. A is the
// earlier of the two in the order given to SuggestRelated.
type Suggestion struct {
	A      string      `json:"a"` // incident number
	B      string      `json:"b"` // incident number
	Shared []Indicator `json:"shared"`
}

// SuggestRelated finds pairs of records that share at least one indicator,
// compared after normalization (ParseIndicator; an indicator that does not
// parse is compared by kind and trimmed value). Pairs already linked through
// Related, in either direction, and records without a Number are skipped.
// Suggestions come ordered by the position of A then B in records; Shared
// is sorted by kind then value. Matching is exact: an ip inside a shared cidr
// is not a match.
func SuggestRelated(records []Record) []Suggestion {
	type pair struct{ a, b int }
	byKey := map[string][]int{}
	keyInd := map[string]Indicator{}
	for i, r := range records {
		if r.Number == "" {
			continue
		}
		for _, ind := range r.Indicators {
			n := normalized(ind)
			k := n.Key()
			if l := byKey[k]; len(l) == 0 || l[len(l)-1] != i {
				byKey[k] = append(l, i)
			}
			keyInd[k] = n
		}
	}

	shared := map[pair][]Indicator{}
	for k, idx := range byKey {
		for x := range idx {
			for _, y := range idx[x+1:] {
				p := pair{idx[x], y}
				shared[p] = append(shared[p], keyInd[k])
			}
		}
	}

	pairs := make([]pair, 0, len(shared))
	for p := range shared {
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(x, y pair) int {
		if x.a != y.a {
			return x.a - y.a
		}
		return x.b - y.b
	})
	var out []Suggestion
	for _, p := range pairs {
		a, b, inds := records[p.a], records[p.b], shared[p]
		if a.Number == b.Number || slices.Contains(a.Related, b.Number) ||
			slices.Contains(b.Related, a.Number) {
			continue
		}
		slices.SortFunc(inds, func(x, y Indicator) int { return strings.Compare(x.Key(), y.Key()) })
		out = append(out, Suggestion{A: a.Number, B: b.Number, Shared: inds})
	}
	return out
}

// normalized returns ind with kind and value only, its value normalized.
func normalized(ind Indicator) Indicator {
	if n, err := ParseIndicator(ind.Kind, ind.Value); err == nil {
		return n
	}
	return Indicator{Kind: ind.Kind, Value: strings.TrimSpace(ind.Value)}
}
