package readiness

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Person is someone in the preparation program: a Vigil user or anyone
// else the program covers, with the roles that decide the courses they
// need, the environments they can access and their background checks.
type Person struct {
	// Name identifies the person; for a Vigil user it is the user name, so
	// that reminders reach the user's e-mail.
	Name string `json:"name"`
	// Email, when set, receives the reminders (else the Vigil user's).
	Email string   `json:"email,omitempty"`
	Roles []string `json:"roles"`
	// Teams the person is in for the report, besides the response teams
	// whose members list them.
	Teams []string `json:"teams"`
	// Joined is the day the person joined; onboarding counts from it.
	Joined Date `json:"joined"`
	// Environments the person has access to ("production").
	Environments []string          `json:"environments"`
	Checks       []BackgroundCheck `json:"background_checks"`

	Version   int64     `json:"version"`
	Updated   time.Time `json:"updated"`
	UpdatedBy string    `json:"updated_by"`
}

// CheckStatus is the outcome of a background check.
type CheckStatus string

// The outcomes of a background check.
const (
	CheckPassed  CheckStatus = "passed"
	CheckFailed  CheckStatus = "failed"
	CheckPending CheckStatus = "pending"
)

// BackgroundCheck is one background check of a person: when, its outcome
// and the reference of its record (never its content).
type BackgroundCheck struct {
	Date      Date        `json:"date"`
	Status    CheckStatus `json:"status"`
	Reference string      `json:"reference,omitempty"`
}

// Normalize trims p's fields, drops empty and repeated list entries and
// checks what is required: a name without spaces, a join date, known check
// outcomes with dates. The error is a *FieldError.
func (p *Person) Normalize() error {
	p.Name, p.Email = strings.TrimSpace(p.Name), strings.TrimSpace(p.Email)
	p.Roles, p.Teams = cleanList(p.Roles), cleanList(p.Teams)
	p.Environments = cleanList(p.Environments)
	switch {
	case p.Name == "" || strings.ContainsAny(p.Name, " \t\r\n/"):
		return fieldErr("name", "%q: want a user name without spaces or slashes", p.Name)
	case p.Joined.IsZero():
		return fieldErr("joined", "required (2006-01-02)")
	case p.Email != "" && !strings.Contains(p.Email, "@"):
		return fieldErr("email", "%q is not an e-mail address", p.Email)
	}
	if p.Checks == nil {
		p.Checks = []BackgroundCheck{}
	}
	for i, c := range p.Checks {
		switch {
		case c.Date.IsZero():
			return fieldErr(fmt.Sprintf("background_checks[%d].date", i), "required")
		case c.Status != CheckPassed && c.Status != CheckFailed && c.Status != CheckPending:
			return fieldErr(fmt.Sprintf("background_checks[%d].status", i),
				"%q, want passed, failed or pending", c.Status)
		}
	}
	return nil
}

// cleanList trims entries and drops empty and repeated ones; never nil.
func cleanList(xs []string) []string {
	out := []string{}
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// Completion records that a person completed a course on a day, with the
// reference of its evidence (a certificate number, a document ID).
// Completions are never changed or deleted.
type Completion struct {
	ID        int64  `json:"id"`
	Person    string `json:"person"`
	Course    string `json:"course"`
	Completed Date   `json:"completed"`
	Evidence  string `json:"evidence"`
	// RecordedBy and Recorded say who entered it and when.
	RecordedBy string    `json:"recorded_by"`
	Recorded   time.Time `json:"recorded"`
}

// ItemKind says what a status item is about.
type ItemKind string

// The kinds of status item.
const (
	ItemCourse          ItemKind = "course"
	ItemBackgroundCheck ItemKind = "background_check"
)

// ItemStatus is where a requirement stands on a day.
type ItemStatus string

// The statuses of a requirement.
const (
	StatusOK      ItemStatus = "ok"
	StatusDueSoon ItemStatus = "due_soon"
	StatusOverdue ItemStatus = "overdue"
)

// Basis says why a requirement is due when it is.
type Basis string

// The bases of a due date.
const (
	// BasisOnboarding: never completed; due OnboardingDays after joining.
	BasisOnboarding Basis = "onboarding"
	// BasisRefresher: due RefresherMonths after the last completion.
	BasisRefresher Basis = "refresher"
	// BasisCheck: due when the last passed check grows too old, or on the
	// day the person joined when there is none.
	BasisCheck Basis = "check"
)

// Item is one requirement of one person on a day: a course or a
// background check, when it is due and whether it is overdue.
type Item struct {
	Person string   `json:"person"`
	Teams  []string `json:"teams"`
	Kind   ItemKind `json:"kind"`
	// Requirement is the course ID, or the environment of a check.
	Requirement string `json:"requirement"`
	Title       string `json:"title"`
	Basis       Basis  `json:"basis"`
	// LastDone is the last completion, or the last passed check; Evidence
	// its evidence or reference.
	LastDone Date       `json:"last_done"`
	Evidence string     `json:"evidence,omitempty"`
	Due      Date       `json:"due"`
	Status   ItemStatus `json:"status"`
	// DaysOverdue counts the days since Due when overdue.
	DaysOverdue int `json:"days_overdue,omitempty"`
	// Covers lists the procedure changes a refresher must cover: those of
	// the course after the last completion.
	Covers []string `json:"covers,omitempty"`
	// Note explains a check's state (pending, failed).
	Note string `json:"note,omitempty"`
}

// AddMonths returns d plus n months, on the same day of the month or, when
// the month is shorter, its last day: 29 February plus 12 months is 28
// February of a common year (Go's AddDate would give 1 March).
func AddMonths(d time.Time, n int) time.Time {
	y, m, day := Day(d).Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(day, last)-1)
}

// OnboardingDue returns when a course never completed is due for someone
// who joined on joined.
func (p *Policy) OnboardingDue(joined time.Time) time.Time {
	return Day(joined).AddDate(0, 0, p.OnboardingDays)
}

// RefresherDue returns when a course last completed on last is due again.
func (p *Policy) RefresherDue(last time.Time) time.Time {
	return AddMonths(last, p.RefresherMonths)
}

// Status returns every requirement of person at now: one item per required
// course, then one per background-check rule that applies, each with its
// due date and status. completions may hold other people's; they are
// skipped. teams are the person's teams for the items.
func (p *Policy) Status(person Person, teams []string, completions []Completion,
	now time.Time) []Item {
	var items []Item
	for _, id := range p.Required(person.Roles) {
		c, _ := p.Course(id)
		it := Item{Person: person.Name, Teams: teams, Kind: ItemCourse, Requirement: id,
			Title: c.Title, Basis: BasisOnboarding}
		var last *Completion
		for i := range completions {
			x := &completions[i]
			if x.Person == person.Name && x.Course == id &&
				(last == nil || x.Completed.After(last.Completed.Time)) {
				last = x
			}
		}
		if last == nil {
			it.Due = NewDate(p.OnboardingDue(person.Joined.Time))
		} else {
			it.Basis, it.LastDone, it.Evidence = BasisRefresher, last.Completed, last.Evidence
			it.Due = NewDate(p.RefresherDue(last.Completed.Time))
			for _, ch := range c.Changes {
				if ch.Date.After(last.Completed.Time) {
					it.Covers = append(it.Covers, ch.Date.Format(time.DateOnly)+": "+ch.Note)
				}
			}
		}
		p.grade(&it, now)
		items = append(items, it)
	}
	for _, rule := range p.BackgroundChecks {
		if it, ok := p.checkItem(person, teams, rule, now); ok {
			items = append(items, it)
		}
	}
	return items
}

// checkItem returns the background-check item of rule for person, if the
// rule applies to them.
func (p *Policy) checkItem(person Person, teams []string, rule CheckRule,
	now time.Time) (Item, bool) {
	if !slices.Contains(person.Environments, rule.Environment) ||
		len(rule.Roles) > 0 && !slices.ContainsFunc(person.Roles, func(r string) bool {
			return slices.Contains(rule.Roles, r)
		}) {
		return Item{}, false
	}
	it := Item{Person: person.Name, Teams: teams, Kind: ItemBackgroundCheck,
		Requirement: rule.Environment, Basis: BasisCheck,
		Title: fmt.Sprintf("Background check for %s access (within %d years)",
			rule.Environment, rule.MaxAgeYears),
		Due: person.Joined}
	var latest *BackgroundCheck
	for i := range person.Checks {
		c := &person.Checks[i]
		if c.Status == CheckPassed && (it.LastDone.IsZero() || c.Date.After(it.LastDone.Time)) {
			it.LastDone, it.Evidence = c.Date, c.Reference
		}
		if latest == nil || !c.Date.Before(latest.Date.Time) {
			latest = c
		}
	}
	if !it.LastDone.IsZero() {
		it.Due = NewDate(AddMonths(it.LastDone.Time, 12*rule.MaxAgeYears))
	}
	if latest != nil && latest.Status != CheckPassed {
		it.Note = fmt.Sprintf("last check %s on %s", latest.Status,
			latest.Date.Format(time.DateOnly))
	}
	p.grade(&it, now)
	return it, true
}

// grade sets the status of it from its due date and now.
func (p *Policy) grade(it *Item, now time.Time) {
	today := Day(now)
	switch {
	case today.After(it.Due.Time):
		it.Status = StatusOverdue
		it.DaysOverdue = int(today.Sub(it.Due.Time).Hours() / 24)
	case !today.Before(it.Due.AddDate(0, 0, -p.DueSoonDays)):
		it.Status = StatusDueSoon
	default:
		it.Status = StatusOK
	}
}
