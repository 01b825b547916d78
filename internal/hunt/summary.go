package hunt

import (
	"sort"
	"time"

	"github.com/vigilsec/vigil/internal/sigma"
)

// Summary is the outcome of a hunt.
type Summary struct {
	// Events read and records that could not be parsed.
	Events, BadRecords int64
	// Files is the number of input files that yielded events.
	Files int
	// Detections is the number of (rule, event) matches.
	Detections int64
	// ByLevel counts detections per rule level.
	ByLevel map[string]int64
	// ByRule counts detections per rule, most frequent first.
	ByRule []RuleCount
	// Duration is the time spent reading and matching.
	Duration time.Duration
	// Rule loading figures, filled by the caller that loaded the rules.
	RulesLoaded, RulesFailed, RulesSkipped int
	LoadTime                               time.Duration

	byRule map[*sigma.Rule]int64
}

// RuleCount is how often one rule fired.
type RuleCount struct {
	Rule  *sigma.Rule
	Count int64
}

// Levels lists rule levels from the most to the least severe.
var Levels = []string{"critical", "high", "medium", "low", "informational"}

func newSummary() Summary {
	return Summary{ByLevel: map[string]int64{}, byRule: map[*sigma.Rule]int64{}}
}

func (s *Summary) add(r *sigma.Rule) {
	s.Detections++
	s.ByLevel[r.Level]++
	s.byRule[r]++
}

// sortRules fills ByRule from the counts: most detections first, then by
// level, then by title.
func (s *Summary) sortRules() {
	s.ByRule = s.ByRule[:0]
	for r, n := range s.byRule {
		s.ByRule = append(s.ByRule, RuleCount{Rule: r, Count: n})
	}
	sort.Slice(s.ByRule, func(i, j int) bool {
		a, b := s.ByRule[i], s.ByRule[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Rule.Level != b.Rule.Level {
			return levelRank(a.Rule.Level) < levelRank(b.Rule.Level)
		}
		return a.Rule.Title < b.Rule.Title
	})
}

func levelRank(l string) int {
	for i, v := range Levels {
		if v == l {
			return i
		}
	}
	return len(Levels)
}
