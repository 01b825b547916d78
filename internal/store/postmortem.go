package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/metrics"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/readiness"
)

// PostMortems keeps the post-mortem of each incident and its follow-up
// items (internal/postmortem; docs/postmortem.md), and reads the rows of
// the response metrics (internal/metrics; docs/metrics.md). Objects are
// kept whole as JSON documents beside the columns that are looked up.
// Post-mortems and follow-ups are never deleted; their writes are in Tx.
type PostMortems interface {
	// GetPostMortem returns the post-mortem of incident, or ErrNotFound.
	GetPostMortem(ctx context.Context, incidentID int64) (*postmortem.PostMortem, error)
	// GetFollowUp returns one follow-up item, or ErrNotFound.
	GetFollowUp(ctx context.Context, id int64) (*postmortem.FollowUp, error)
	// ListFollowUps returns the follow-ups f selects, by ID.
	ListFollowUps(ctx context.Context, f FollowUpFilter) ([]postmortem.FollowUp, error)

	// IncidentFacts returns the incidents detected in [f.From, f.To) (zero
	// bounds: open), exercises' ones only with f.Exercises, by ID.
	IncidentFacts(ctx context.Context, f FactFilter) ([]metrics.Fact, error)
	// EachIncidentFact calls fn with each incident that IncidentFacts
	// returns, in no set order, without holding them all: the metrics'
	// one pass over the window. The Fact (and its Services) is reused
	// between calls: fn must not keep it. An error of fn stops the scan and
	// is returned.
	EachIncidentFact(ctx context.Context, f FactFilter, fn func(*metrics.Fact) error) error
	// FactsOf returns the facts of the incidents ids (those that exist).
	FactsOf(ctx context.Context, ids []int64) ([]metrics.Fact, error)
	// NotificationTimes returns the notifications about incidents created
	// in [f.From, f.To), with when each was first delivered, by ID;
	// incidentID, when not 0, selects one incident's (and f's bounds and
	// exercise filter are not applied).
	NotificationTimes(ctx context.Context, f FactFilter, incidentID int64) (
		[]NotificationTime, error)
	// RuleCounts counts the alerts created in [f.From, f.To) by rule, with
	// those confirmed and marked false positive, by rule ID.
	RuleCounts(ctx context.Context, f FactFilter) ([]metrics.RuleCount, error)
}

// FollowUpFilter selects follow-ups; zero fields select everything.
type FollowUpFilter struct {
	IncidentID int64
	Owner      string
	State      readiness.State
	// Open leaves out verified items (risk-accepted ones stay in: their
	// acceptance expires).
	Open bool
}

// FactFilter selects the rows of the response metrics by time; zero bounds
// are open. Exercises includes the incidents (and their notifications and
// alerts) that an exercise's events raised.
type FactFilter struct {
	From, To  time.Time
	Exercises bool
}

// NotificationTime is a notification about an incident as the metrics see
// it: when it was made, and first accepted by its channel (zero: not yet),
// with the dimensions of its incident.
type NotificationTime struct {
	ID         int64        `json:"id"`
	IncidentID int64        `json:"incident_id"`
	Trigger    string       `json:"trigger"`
	Recipient  string       `json:"recipient"`
	Created    time.Time    `json:"created"`
	Sent       time.Time    `json:"sent,omitzero"`
	State      notify.State `json:"state"`
	Exercise   int64        `json:"exercise,omitempty"`
	metrics.Dims
}

// FactOf returns the metrics' view of rec: its dimensions and milestones
// (the first event comes from its alerts, the exercise from the marks).
func FactOf(rec *IncidentRecord) metrics.Fact {
	services := rec.Record.Resources.Services
	if services == nil {
		services = []string{}
	}
	return metrics.Fact{IncidentID: rec.ID, Dims: metrics.Dims{Severity: rec.Severity,
		Category: string(rec.Record.Category), Services: services},
		Milestones: rec.Record.Milestones()}
}

// NewIncidentFact returns the metrics' view of an incident just created:
// its default record detects it when it opened.
func NewIncidentFact(inc *incident.Incident) metrics.Fact {
	return metrics.Fact{IncidentID: inc.ID, Dims: metrics.Dims{Severity: inc.Severity,
		Services: []string{}}, Milestones: incident.Milestones{Detected: inc.Opened.UTC()}}
}

// EncodeServices returns the JSON array a back end stores for services.
func EncodeServices(services []string) (string, error) {
	if services == nil {
		services = []string{}
	}
	b, err := json.Marshal(services)
	if err != nil {
		return "", fmt.Errorf("encode services: %w", err)
	}
	return string(b), nil
}

// DecodeServices reads a stored JSON array of services.
func DecodeServices(s string) ([]string, error) {
	out := []string{}
	if s == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("decode services: %w", err)
	}
	return out, nil
}

// ServiceDecoder reads the stored services of many rows (the metrics' scan
// of the fact table) with few allocations: a plain array of printable
// ASCII strings without escapes, which is what the stores hold, is read
// directly and its strings are shared between rows; anything else goes
// through encoding/json, with the same result as DecodeServices.
type ServiceDecoder struct {
	seen map[string]string
}

// Decode appends the services of the JSON array s to dst[:0] and returns
// it; an empty s gives none.
func (d *ServiceDecoder) Decode(dst []string, s string) ([]string, error) {
	return decodeServices(d, dst, s)
}

// DecodeBytes is Decode of a column read as bytes (sql.RawBytes), without
// copying them.
func (d *ServiceDecoder) DecodeBytes(dst []string, b []byte) ([]string, error) {
	return decodeServices(d, dst, b)
}

func decodeServices[T string | []byte](d *ServiceDecoder, dst []string, s T) ([]string,
	error) {
	dst = dst[:0]
	if out, ok := plainServices(d, dst, s); ok {
		return out, nil
	}
	all, err := DecodeServices(string(s))
	if err != nil {
		return dst, err
	}
	return append(dst, all...), nil
}

// plainServices reads s if it is a plain array, false otherwise.
func plainServices[T string | []byte](d *ServiceDecoder, dst []string, s T) ([]string, bool) {
	if d.seen == nil {
		d.seen = map[string]string{}
	}
	i := 0
	space := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	space()
	if i == len(s) {
		return dst, i == 0 // "" is no service; blanks alone are not JSON
	}
	if s[i] != '[' {
		return dst, false
	}
	i++
	space()
	if i < len(s) && s[i] == ']' {
		i++
		space()
		return dst, i == len(s)
	}
	for {
		if i == len(s) || s[i] != '"' {
			return dst, false
		}
		start := i + 1
		for i = start; i < len(s) && s[i] != '"'; i++ {
			if c := s[i]; c < 0x20 || c > 0x7e || c == '\\' {
				return dst, false
			}
		}
		if i == len(s) {
			return dst, false
		}
		v, ok := d.seen[string(s[start:i])]
		if !ok {
			v = strings.Clone(string(s[start:i]))
			d.seen[v] = v
		}
		dst = append(dst, v)
		i++
		space()
		if i == len(s) {
			return dst, false
		}
		switch s[i] {
		case ',':
			i++
			space()
		case ']':
			i++
			space()
			return dst, i == len(s)
		default:
			return dst, false
		}
	}
}

// SubtractRuleCounts takes the counts of ex (exercise alerts) off all,
// dropping rules left without alerts; both are by rule.
func SubtractRuleCounts(all, ex []metrics.RuleCount) []metrics.RuleCount {
	byRule := map[string]metrics.RuleCount{}
	for _, c := range ex {
		byRule[c.RuleID] = c
	}
	out := all[:0:0]
	for _, c := range all {
		e := byRule[c.RuleID]
		c.Alerts, c.Confirmed, c.FalsePositive = c.Alerts-e.Alerts, c.Confirmed-e.Confirmed,
			c.FalsePositive-e.FalsePositive
		if c.Alerts > 0 {
			out = append(out, c)
		}
	}
	return out
}
