package detect

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// DefaultGroupWindow is how long an alert's group stays open after its
// latest match when the rule sets no window ("vigil: {window: ...}").
const DefaultGroupWindow = 15 * time.Minute

// DefaultGroupFields are the host fields tried, in order, when a rule sets
// no group_by: the first one present in the event groups the alerts, so
// that a rule firing again on one host raises one alert. When none is
// present, each match raises its own alert.
var DefaultGroupFields = []string{"Computer", "host.name", "hostname", "Hostname", "host"}

// AlertGrouper stores an alert, or folds it into the open alert of its group
// (see store.Triage.GroupAlert), reporting which. When the Config's Alerts
// is an AlertGrouper the pipeline deduplicates through it.
type AlertGrouper interface {
	GroupAlert(ctx context.Context, a *Alert, window time.Duration) (repeat bool, err error)
}

// Suppressor says whether a rule's match on an event is suppressed (and
// counts it there). *triage.Service is one.
type Suppressor interface {
	Suppressed(ctx context.Context, r *sigma.Rule, e *event.Event) bool
}

// Grouping returns the grouping field values of a match of r on e, the
// group key built from them (canonical JSON) and the window: the rule's
// group_by and window, or DefaultGroupFields and DefaultGroupWindow.
// A group_by field missing from the event groups as "". The key is empty
// (no grouping) when the rule has no group_by and the event no host field.
func Grouping(r *sigma.Rule, e *event.Event) (group map[string]string, key string,
	window time.Duration) {
	group = map[string]string{}
	if len(r.GroupBy) > 0 {
		for _, f := range r.GroupBy {
			v, _ := e.Lookup(event.NewPath(f))
			group[f] = FieldText(v)
		}
	} else {
		for _, f := range DefaultGroupFields {
			if v, ok := e.Lookup(event.NewPath(f)); ok {
				group[f] = FieldText(v)
				break
			}
		}
	}
	if len(group) == 0 {
		return group, "", 0
	}
	window = r.GroupWindow
	if window <= 0 {
		window = DefaultGroupWindow
	}
	b, _ := json.Marshal(group) // a map of strings always marshals
	return group, string(b), window
}

// FieldText renders an event field value as grouping and suppression
// compare it: strings as they are, nil (and missing) as "", the rest with
// fmt's %v.
func FieldText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}
