package postmortem

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/readiness"
)

// RemindResult counts the reminders Remind queued (one already queued this
// week is counted but stored once).
type RemindResult struct {
	Owners int `json:"owners"`
	Team   int `json:"team"`
}

// Remind queues this week's reminders of the follow-ups in items that are
// overdue at now: to each owner, one message listing their items; to each
// person of team (the incident response team), one message listing all of
// them. Keys carry the ISO week, so a person gets at most one of each per
// week however often Remind runs. Blank names in team are skipped. A failed
// reminder is joined to the error and the others still go.
func Remind(ctx context.Context, n readiness.Notifier, items []FollowUp, team []string,
	now time.Time) (RemindResult, error) {
	var res RemindResult
	if n == nil {
		return res, nil
	}
	year, week := now.UTC().ISOWeek()
	slot := fmt.Sprintf("%d-W%02d", year, week)
	byOwner := map[string][]string{}
	var all []string
	for _, f := range items {
		if !f.Tracking.Overdue(now) {
			continue
		}
		line := fmt.Sprintf("- follow-up %d of incident %d (%s, %s): %s, due %s", f.ID,
			f.IncidentID, f.Kind, f.State, f.Title, f.Due.UTC().Format(time.DateOnly))
		byOwner[f.Owner] = append(byOwner[f.Owner], line)
		all = append(all, line+", owner "+f.Owner)
	}
	var errs []error
	for _, owner := range slices.Sorted(maps.Keys(byOwner)) {
		lines := byOwner[owner]
		body := "These post-mortem follow-ups you own are overdue:\n\n" +
			strings.Join(lines, "\n") + "\n"
		err := n.Remind(ctx, "remind:follow-ups:"+owner+":"+slot, owner, "",
			fmt.Sprintf("Overdue follow-ups: %d", len(lines)), body)
		if err != nil {
			errs = append(errs, fmt.Errorf("remind %s: %w", owner, err))
			continue
		}
		res.Owners++
	}
	if len(all) > 0 {
		body := "These post-mortem follow-ups are overdue:\n\n" + strings.Join(all, "\n") + "\n"
		for _, who := range slices.Compact(slices.Sorted(slices.Values(team))) {
			if strings.TrimSpace(who) == "" {
				continue
			}
			err := n.Remind(ctx, "remind:follow-ups-team:"+who+":"+slot, who, "",
				fmt.Sprintf("Overdue post-mortem follow-ups: %d", len(all)), body)
			if err != nil {
				errs = append(errs, fmt.Errorf("remind %s: %w", who, err))
				continue
			}
			res.Team++
		}
	}
	return res, errors.Join(errs...)
}
