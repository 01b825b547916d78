package anomaly

import (
	"math"
	"slices"
	"sort"
	"time"
)

// grid cuts time into buckets: index i covers [i×size, (i+1)×size) since
// the Unix epoch, in UTC.
type grid struct {
	size    time.Duration
	day     int64 // buckets per day
	week    int64 // buckets per week
	history int64 // buckets of history kept
}

func newGrid(size, history time.Duration) grid {
	return grid{size: size, day: int64(24 * time.Hour / size), week: int64(7 * 24 * time.Hour / size),
		history: int64(history / size)}
}

func (g grid) index(t time.Time) int64 { return floorDiv(t.UnixNano(), int64(g.size)) }

func (g grid) start(i int64) time.Time { return time.Unix(0, i*int64(g.size)).UTC() }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// series counts the messages of one key (a service's template, or a host's
// level) per bucket. Past keeps the closed buckets that had messages, so a
// quiet key costs little.
type series struct {
	Start  int64    `json:"start"`            // the first bucket with a message
	Cur    int64    `json:"cur"`              // the open bucket
	Count  int64    `json:"count"`            // messages in the open bucket
	Past   []bucket `json:"past,omitempty"`   // closed buckets with messages, oldest first
	Silent bool     `json:"silent,omitempty"` // a silence was raised; no message since
	Spiked bool     `json:"spiked,omitempty"` // the open bucket raised a spike

	base    baseline // of the open bucket; valid when baseSet
	baseSet bool
}

type bucket struct {
	I int64 `json:"i"`
	N int64 `json:"n"`
}

// baseline is what a key's count in one bucket is expected to be: the
// median and median absolute deviation of comparable past buckets.
type baseline struct {
	Median, MAD float64
	Samples     int
	// Basis says which buckets were compared, for the explanation.
	Basis string
}

// sigma is the robust spread: 1.4826 × MAD (the standard deviation of a
// normal sample), at least √median as for a Poisson count, and at least 1.
func (b baseline) sigma() float64 {
	return max(1.4826*b.MAD, math.Sqrt(max(b.Median, 1)))
}

// score is the robust z-score of a count.
func (b baseline) score(n int64) float64 { return (float64(n) - b.Median) / b.sigma() }

func newSeries(i int64) *series { return &series{Start: i, Cur: i} }

// add counts one message in bucket i (a late message counts in the open
// bucket) and reports the open bucket's count. Buckets before i must have
// been closed with closeUntil.
func (s *series) add(i int64) int64 {
	if i > s.Cur {
		s.roll(i)
	}
	s.Count++
	s.Silent = false
	return s.Count
}

// roll closes the open bucket and opens bucket i.
func (s *series) roll(i int64) {
	if s.Count > 0 {
		s.Past = append(s.Past, bucket{s.Cur, s.Count})
	}
	s.Cur, s.Count, s.Spiked, s.baseSet = i, 0, false, false
}

// trim drops the history older than keep buckets before the open one.
func (s *series) trim(keep int64) {
	cut := sort.Search(len(s.Past), func(k int) bool { return s.Past[k].I >= s.Cur-keep })
	if cut > 0 {
		s.Past = slices.Delete(s.Past, 0, cut)
	}
	s.Start = max(s.Start, s.Cur-keep)
}

// countAt returns the count of closed bucket i.
func (s *series) countAt(i int64) int64 {
	k := sort.Search(len(s.Past), func(k int) bool { return s.Past[k].I >= i })
	if k < len(s.Past) && s.Past[k].I == i {
		return s.Past[k].N
	}
	return 0
}

// baselineAt compares bucket i with the same bucket of the week on the last
// four weeks when three of them are known, else the same hour on the last
// seven days when three are known, else the last 24 buckets when twelve are
// known. It reports false while the key is too young for any.
func (s *series) baselineAt(i int64, g grid) (baseline, bool) {
	samples := func(step int64, n int) []float64 {
		var out []float64
		for k := int64(1); k <= int64(n); k++ {
			j := i - k*step
			if j < s.Start || j < i-g.history {
				break
			}
			out = append(out, float64(s.countAt(j)))
		}
		return out
	}
	for _, c := range []struct {
		step  int64
		n, at int
		basis string
	}{
		{g.week, 4, 3, "the same hour and weekday of the last %d weeks"},
		{g.day, 7, 3, "the same hour of the last %d days"},
		{1, 24, 12, "the last %d buckets"},
	} {
		if c.step <= 0 {
			continue
		}
		if xs := samples(c.step, c.n); len(xs) >= c.at {
			med := median(xs)
			for k := range xs {
				xs[k] = math.Abs(xs[k] - med)
			}
			return baseline{Median: med, MAD: median(xs), Samples: len(xs), Basis: c.basis}, true
		}
	}
	return baseline{}, false
}

// openBaseline returns the baseline of the open bucket, computed once.
func (s *series) openBaseline(g grid) (baseline, bool) {
	if !s.baseSet {
		b, ok := s.baselineAt(s.Cur, g)
		if !ok {
			b = baseline{Samples: -1}
		}
		s.base, s.baseSet = b, true
	}
	return s.base, s.base.Samples > 0
}

// median sorts xs and returns its median.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// merge adds the counts of o (a template merged into this one) to s.
func (s *series) merge(o *series) {
	if o == nil {
		return
	}
	counts := map[int64]int64{}
	for _, b := range s.Past {
		counts[b.I] += b.N
	}
	for _, b := range o.Past {
		counts[b.I] += b.N
	}
	if o.Cur == s.Cur {
		s.Count += o.Count
	} else if o.Count > 0 {
		counts[o.Cur] += o.Count
	}
	s.Past = s.Past[:0]
	for i, n := range counts {
		if i != s.Cur {
			s.Past = append(s.Past, bucket{i, n})
		}
	}
	slices.SortFunc(s.Past, func(a, b bucket) int { return int(a.I - b.I) })
	s.Start = min(s.Start, o.Start)
	s.baseSet = false
}

// silenceCandidates returns, in order, the buckets in [from, to) that have
// a comparable bucket (see baselineAt) with at least least messages.
func (s *series) silenceCandidates(from, to int64, least float64, g grid) []int64 {
	seen := map[int64]bool{}
	var out []int64
	add := func(j int64) {
		if j >= from && j < to && !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	for _, b := range s.Past {
		if float64(b.N) < least || b.I < from-4*g.week {
			continue
		}
		for k := int64(1); k <= 24; k++ {
			add(b.I + k)
		}
		for k := int64(1); k <= 7; k++ {
			add(b.I + k*g.day)
		}
		for k := int64(1); k <= 4; k++ {
			add(b.I + k*g.week)
		}
	}
	slices.Sort(out)
	return out
}
