package readiness

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// RemindResult counts the reminders a Remind call queued (a reminder
// already queued this week is counted but stored once).
type RemindResult struct {
	Training int `json:"training"`
	Findings int `json:"findings"`
}

// Remind queues this week's reminders through the Notifier: to each person
// with training or background checks overdue or due soon, one message
// listing them; to each owner of overdue findings (triage's reports
// included), one message listing those. Keys carry the ISO week, so a
// person gets at most one of each kind per week however often Remind runs.
// A failed reminder is joined to the error and the others still go.
func (s *Service) Remind(ctx context.Context) (RemindResult, error) {
	var res RemindResult
	if s.cfg.Notifier == nil {
		return res, nil
	}
	t, err := s.Training(ctx)
	if err != nil {
		return res, err
	}
	year, week := t.now.UTC().ISOWeek()
	slot := fmt.Sprintf("%d-W%02d", year, week)
	var errs []error
	for _, p := range t.People {
		var lines []string
		for _, it := range t.Items {
			if it.Person == p.Name && it.Status != StatusOK {
				lines = append(lines, itemLine(it))
			}
		}
		if len(lines) == 0 {
			continue
		}
		body := "These training requirements need you:\n\n" + strings.Join(lines, "\n") +
			"\n\nRecord a completion with its certificate reference when done.\n"
		err := s.cfg.Notifier.Remind(ctx, "remind:training:"+p.Name+":"+slot, p.Name, p.Email,
			fmt.Sprintf("Training due: %d item(s)", len(lines)), body)
		if err != nil {
			errs = append(errs, fmt.Errorf("remind %s: %w", p.Name, err))
			continue
		}
		res.Training++
	}
	n, err := s.remindFindings(ctx, slot)
	res.Findings = n
	return res, errors.Join(append(errs, err)...)
}

// itemLine renders one status item of a reminder.
func itemLine(it Item) string {
	when := "due " + it.Due.Format(time.DateOnly)
	if it.Status == StatusOverdue {
		when = fmt.Sprintf("overdue since %s (%d days)", it.Due.Format(time.DateOnly),
			it.DaysOverdue)
	}
	line := fmt.Sprintf("- %s (%s): %s", it.Title, it.Basis, when)
	for _, c := range it.Covers {
		line += "\n    covers " + c
	}
	if it.Note != "" {
		line += "\n    " + it.Note
	}
	return line
}

// remindFindings reminds each owner of overdue findings.
func (s *Service) remindFindings(ctx context.Context, slot string) (int, error) {
	fs, err := s.Findings(ctx, FindingQuery{Overdue: true, Triage: true})
	if err != nil {
		return 0, err
	}
	byOwner := map[string][]string{}
	for _, f := range fs {
		if f.Owner == "" {
			continue
		}
		ref := fmt.Sprintf("finding %d", f.ID)
		if f.VulnerabilityID != 0 {
			ref = fmt.Sprintf("vulnerability report %d", f.VulnerabilityID)
		}
		why := "due " + f.Due.Format(time.DateOnly)
		if f.State == StateRiskAccepted {
			why = "risk acceptance expired " + f.RiskExpires.UTC().Format(time.DateOnly)
		}
		byOwner[f.Owner] = append(byOwner[f.Owner], fmt.Sprintf("- %s (%s, %s): %s, %s", ref,
			f.Severity, f.State, f.Title, why))
	}
	n := 0
	var errs []error
	for _, owner := range slices.Sorted(maps.Keys(byOwner)) {
		lines := byOwner[owner]
		body := "These findings you own are overdue:\n\n" + strings.Join(lines, "\n") + "\n"
		err := s.cfg.Notifier.Remind(ctx, "remind:findings:"+owner+":"+slot, owner, "",
			fmt.Sprintf("Overdue findings: %d", len(lines)), body)
		if err != nil {
			errs = append(errs, fmt.Errorf("remind %s: %w", owner, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
