package sigma

import (
	"encoding/json"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// Ruleset matches events against a set of rules. Rules that share a
// logsource share one filter, evaluated once per event, and events reach a
// filter through an index on EventID (or Channel), so that a Sysmon process
// creation event is tested only by the process_creation rules and the
// unconstrained ones.
//
// A Ruleset is immutable and safe for concurrent use.
type Ruleset struct {
	rules     []*Rule
	groups    []*group
	byID      map[string][]*group
	byChannel map[string][]*group // lowercased channel
	always    []*group
}

// group is the rules that share one filter (nil: unconstrained).
type group struct {
	filter *filter
	rules  []*Rule
}

// NewRuleset indexes rules for matching. The rules are not copied.
func NewRuleset(rules []*Rule) *Ruleset {
	rs := &Ruleset{rules: rules, byID: map[string][]*group{}, byChannel: map[string][]*group{}}
	byFilter := map[*filter]*group{}
	for _, r := range rules {
		g := byFilter[r.filter]
		if g == nil {
			g = &group{filter: r.filter}
			byFilter[r.filter] = g
			rs.groups = append(rs.groups, g)
		}
		g.rules = append(g.rules, r)
	}
	for _, g := range rs.groups {
		switch f := g.filter; {
		case f != nil && f.ids != nil:
			for _, id := range f.ids {
				rs.byID[id] = append(rs.byID[id], g)
			}
		case f != nil && f.channels != nil:
			for _, ch := range f.channels {
				rs.byChannel[ch] = append(rs.byChannel[ch], g)
			}
		default:
			rs.always = append(rs.always, g)
		}
	}
	return rs
}

// Rules returns the rules in the order they were given; the slice must not
// be modified.
func (rs *Ruleset) Rules() []*Rule { return rs.rules }

// Match calls fn once for each rule that matches e, in no particular order.
// It does not allocate unless a rule needs it (keyword searches and
// regular expressions may).
func (rs *Ruleset) Match(e *event.Event, fn func(r *Rule)) {
	for _, g := range rs.always {
		g.match(e, fn)
	}
	if len(rs.byID) > 0 {
		if id, ok := e.Fields["EventID"]; ok {
			switch x := id.(type) {
			case json.Number:
				rs.matchGroups(rs.byID[string(x)], e, fn)
			case string:
				rs.matchGroups(rs.byID[strings.TrimSpace(x)], e, fn)
			default:
				// An EventID of a type the index does not know: try every
				// indexed group; their filters decide.
				rs.matchAllIndexed(e, fn)
			}
		}
	}
	if len(rs.byChannel) > 0 {
		if ch, ok := e.Fields["Channel"].(string); ok {
			rs.matchGroups(rs.channelGroups(ch), e, fn)
		}
	}
}

func (rs *Ruleset) matchGroups(gs []*group, e *event.Event, fn func(r *Rule)) {
	for _, g := range gs {
		g.match(e, fn)
	}
}

func (rs *Ruleset) matchAllIndexed(e *event.Event, fn func(r *Rule)) {
	for _, g := range rs.groups {
		if g.filter != nil && g.filter.ids != nil {
			g.match(e, fn)
		}
	}
}

// channelGroups looks a channel up without allocating: channel names are
// short, so they are lowercased into a stack buffer.
func (rs *Ruleset) channelGroups(ch string) []*group {
	if gs, ok := rs.byChannel[ch]; ok {
		return gs
	}
	var buf [128]byte
	if len(ch) > len(buf) {
		return rs.byChannel[strings.ToLower(ch)]
	}
	for i := 0; i < len(ch); i++ {
		c := ch[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return rs.byChannel[string(buf[:len(ch)])]
}

// match evaluates the group's filter once and then each rule's variants
// for the alternatives that hold.
func (g *group) match(e *event.Event, fn func(r *Rule)) {
	mask := ^uint64(0)
	if g.filter != nil {
		if mask = g.filter.eval(e); mask == 0 {
			return
		}
	}
	for _, r := range g.rules {
		for i := range r.variants {
			v := &r.variants[i]
			if v.mask&mask != 0 && v.det.eval(e) {
				fn(r)
				break
			}
		}
	}
}
