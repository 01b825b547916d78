package regulation

import (
	"fmt"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	// Deadlines are computed in the jurisdiction's time zone; embed the
	// zone database so that a host without /usr/share/zoneinfo computes
	// the same deadlines.
	_ "time/tzdata"
)

// Calendar is a jurisdiction's holiday calendar, for business-day
// deadlines. It is data the operator keeps current: it lists holidays for
// the years From to To only; beyond them only weekends are skipped and the
// obligation says so.
type Calendar struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Zone is the IANA time zone in which days are counted.
	Zone string `json:"time_zone"`
	// Weekend are the days that are never business days.
	Weekend []time.Weekday `json:"weekend"`
	Source  Source         `json:"source"`
	// From and To are the first and last years the holidays cover.
	From int `json:"from"`
	To   int `json:"to"`
	// Holidays are the dates ("2026-07-03") that are not business days,
	// with their names.
	Holidays map[string]string `json:"holidays"`

	// File and Line say where the calendar was loaded from.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`

	loc *time.Location
}

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location {
	if c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// IsBusinessDay reports whether the date (in the calendar's zone) is
// neither a weekend day nor a holiday.
func (c *Calendar) IsBusinessDay(y int, m time.Month, d int) bool {
	day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	if slices.Contains(c.Weekend, day.Weekday()) {
		return false
	}
	_, holiday := c.Holidays[day.Format(time.DateOnly)]
	return !holiday
}

// Covers reports whether the calendar lists holidays for the year of t (in
// its zone).
func (c *Calendar) Covers(t time.Time) bool {
	y := t.In(c.Location()).Year()
	return y >= c.From && y <= c.To
}

// AddBusinessDays returns the moment the n-th business day after the day
// of start ends, in the calendar's zone: the day of start itself does not
// count, whatever its time. cutoff is the local time of day the deadline
// falls due; zero means the end of the day (23:59:59). The result is in
// UTC.
func (c *Calendar) AddBusinessDays(start time.Time, n int, cutoff time.Duration) time.Time {
	loc := c.Location()
	y, m, d := start.In(loc).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	for counted := 0; counted < n; {
		day = day.AddDate(0, 0, 1)
		if c.IsBusinessDay(day.Date()) {
			counted++
		}
	}
	if cutoff == 0 {
		cutoff = 24*time.Hour - time.Second
	}
	h, mi := int(cutoff/time.Hour), int(cutoff%time.Hour/time.Minute)
	sec := int(cutoff % time.Minute / time.Second)
	return time.Date(day.Year(), day.Month(), day.Day(), h, mi, sec, 0, loc).UTC()
}

var weekdays = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday,
	"tuesday": time.Tuesday, "wednesday": time.Wednesday, "thursday": time.Thursday,
	"friday": time.Friday, "saturday": time.Saturday}

// ParseCalendar reads one holiday calendar file; the error is an Errors
// listing every fault found.
func ParseCalendar(data []byte, file string) (*Calendar, error) {
	r := &reader{file: file}
	m := r.root(data)
	if m == nil {
		return nil, r.errs
	}
	f, ok := r.fields(m, "", []string{"id", "name", "time_zone", "weekend", "source", "covers",
		"holidays"}, []string{"id", "name", "time_zone", "weekend", "source", "covers", "holidays"})
	if !ok {
		return nil, r.errs
	}
	c := &Calendar{File: file, Line: m.Line, Holidays: map[string]string{}}
	if id, ok := r.str(f["id"], "id"); ok {
		if err := checkID(id); err != nil {
			r.fail(f["id"], "id", "%v", err)
		}
		c.ID = id
	}
	c.Name, _ = r.str(f["name"], "name")
	if z, ok := r.str(f["time_zone"], "time_zone"); ok {
		loc, err := time.LoadLocation(z)
		if err != nil || z == "Local" {
			r.fail(f["time_zone"], "time_zone", "%q: want an IANA time zone such as"+
				" America/New_York", z)
		}
		c.Zone, c.loc = z, loc
	}
	for i, d := range r.list(f["weekend"], "weekend", nil) {
		wd, ok := weekdays[d]
		if !ok {
			r.fail(f["weekend"].Content[i], fmt.Sprintf("weekend[%d]", i),
				"%q: want a day name such as saturday", d)
		}
		c.Weekend = append(c.Weekend, wd)
	}
	if len(c.Weekend) >= 7 {
		r.fail(f["weekend"], "weekend", "every day is a weekend day; no business day is left")
	}
	if f["source"] != nil {
		c.Source, _ = r.source(f["source"], "source")
	}
	r.covers(f["covers"], c)
	r.holidays(f["holidays"], c)
	if len(r.errs) > 0 {
		r.errs.sort()
		return nil, r.errs
	}
	return c, nil
}

func (r *reader) covers(n *yaml.Node, c *Calendar) {
	if n == nil {
		return
	}
	f, ok := r.fields(n, "covers", []string{"from", "to"}, []string{"from", "to"})
	if !ok {
		return
	}
	from, ok1 := r.integer(f["from"], "covers.from")
	to, ok2 := r.integer(f["to"], "covers.to")
	if ok1 && ok2 && (from < 1970 || to > 9999 || to < from) {
		r.fail(n, "covers", "want years from <= to, between 1970 and 9999")
	}
	c.From, c.To = int(from), int(to)
}

func (r *reader) holidays(n *yaml.Node, c *Calendar) {
	prev := ""
	for i, h := range r.items(n, "holidays") {
		path := fmt.Sprintf("holidays[%d]", i)
		f, ok := r.fields(h, path, []string{"date", "name"}, []string{"date", "name"})
		if !ok {
			continue
		}
		d, ok := r.str(f["date"], path+".date")
		if !ok {
			continue
		}
		t, err := time.Parse(time.DateOnly, d)
		switch {
		case err != nil:
			r.fail(f["date"], path+".date", "%q: want a date such as 2026-07-03", d)
			continue
		case t.Year() < c.From || t.Year() > c.To:
			r.fail(f["date"], path+".date", "%s is outside covers (%d to %d)", d, c.From, c.To)
		case d <= prev:
			r.fail(f["date"], path+".date", "%s: list dates once each, in order", d)
		}
		prev = d
		c.Holidays[d], _ = r.str(f["name"], path+".name")
	}
}
