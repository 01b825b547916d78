package store

import (
	"context"
	"time"

	"github.com/vigilsec/vigil/internal/plan"
	"github.com/vigilsec/vigil/internal/team"
)

// ResponseStore keeps the response team and the plans (docs/team.md): the
// directory of teams with their rosters, each incident's virtual team
// (engagements), its phase tasks and its watch rules. Teams and tasks carry
// a Version for optimistic concurrency like incident records; engagements
// and watch rules are never deleted, only ended (disengaged, removed).
// Objects are kept whole as JSON documents: times come back as they were
// given, to the nanosecond and with their offset; the stores' own clock
// readings (Created, Updated) are UTC.
type ResponseStore interface {
	// CreateTeam stores t at version 1, setting t.Version and t.Updated.
	// A taken ID gives ErrDuplicate.
	CreateTeam(ctx context.Context, t *team.Team) error
	// GetTeam returns one team, or ErrNotFound.
	GetTeam(ctx context.Context, id string) (*team.Team, error)
	// ListTeams returns every team by ID.
	ListTeams(ctx context.Context) ([]team.Team, error)
	// UpdateTeam saves t when the stored version is t.Version, then sets
	// t.Version (one more) and t.Updated. A stale version gives a
	// *ConflictError; an unknown ID ErrNotFound.
	UpdateTeam(ctx context.Context, t *team.Team) error

	// AddEngagements stores es for their incident in one transaction,
	// setting each ID (growing). An unknown incident gives ErrNotFound and
	// stores nothing.
	AddEngagements(ctx context.Context, es []team.Engagement) error
	// ListEngagements returns an incident's engagements in the order added.
	ListEngagements(ctx context.Context, incidentID int64) ([]team.Engagement, error)
	// EndEngagement saves the disengagement fields of e (the rest is
	// kept); ErrNotFound when e.ID is not an engagement of e.IncidentID.
	EndEngagement(ctx context.Context, e *team.Engagement) error

	// CreateTask stores t at version 1, setting t.ID, t.Version, t.Created
	// and t.Updated (the store's clock). An unknown incident gives
	// ErrNotFound.
	CreateTask(ctx context.Context, t *plan.Task) error
	// GetTask returns a task of an incident, or ErrNotFound.
	GetTask(ctx context.Context, incidentID, id int64) (*plan.Task, error)
	// ListTasks returns an incident's tasks by ID.
	ListTasks(ctx context.Context, incidentID int64) ([]plan.Task, error)
	// UpdateTask saves t when the stored version is t.Version, then sets
	// t.Version and t.Updated; a stale version gives a *ConflictError, an
	// unknown task ErrNotFound. ID, IncidentID, Created and CreatedBy are
	// kept.
	UpdateTask(ctx context.Context, t *plan.Task) error

	// AddWatchRule stores w, setting w.ID and w.Created (store's clock
	// when zero). An unknown incident gives ErrNotFound.
	AddWatchRule(ctx context.Context, w *plan.WatchRule) error
	// ListWatchRules returns an incident's watch rules by ID, removed and
	// expired ones included.
	ListWatchRules(ctx context.Context, incidentID int64) ([]plan.WatchRule, error)
	// ActiveWatchRules returns the watch rules of every incident that are
	// not removed and expire after now, by ID: what detection loads at
	// start.
	ActiveWatchRules(ctx context.Context, now time.Time) ([]plan.WatchRule, error)
	// RemoveWatchRule saves the removal fields of w; ErrNotFound when w.ID
	// is not a watch rule of w.IncidentID.
	RemoveWatchRule(ctx context.Context, w *plan.WatchRule) error
}

// ActiveOnly returns the watch rules of ws that are active at now
// (plan.WatchRule.Active), for the back ends' ActiveWatchRules.
func ActiveOnly(ws []plan.WatchRule, now time.Time) []plan.WatchRule {
	out := []plan.WatchRule{}
	for _, w := range ws {
		if w.Active(now) {
			out = append(out, w)
		}
	}
	return out
}
