package regulation

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Units of a Span.
const (
	UnitMinutes      = "min" // calendar minutes
	UnitHours        = "h"   // calendar hours
	UnitDays         = "d"   // calendar days, counted as whole 24-hour periods
	UnitBusinessDays = "bd"  // business days of a holiday calendar
	UnitMonths       = "mo"  // calendar months (the same day of a later month)
)

var spanSyntax = regexp.MustCompile(`^([0-9]{1,4})(min|h|d|bd|mo)$`)

// ParseSpan reads "90min", "72h", "3d", "4bd" or "1mo". The number is 1 to
// 9999.
func ParseSpan(s string) (Span, error) {
	m := spanSyntax.FindStringSubmatch(s)
	if m == nil {
		return Span{}, fmt.Errorf("duration %q: want a whole number and a unit: min, h, d, bd"+
			" (business days) or mo, such as 72h, 3d, 4bd, 1mo", s)
	}
	n, _ := strconv.Atoi(m[1])
	if n == 0 {
		return Span{}, fmt.Errorf("duration %q: must be more than zero", s)
	}
	return Span{N: n, Unit: m[2]}, nil
}

// String returns the span as written: "72h".
func (s Span) String() string {
	if s.N == 0 {
		return ""
	}
	return strconv.Itoa(s.N) + s.Unit
}

// IsZero reports whether the span is unset.
func (s Span) IsZero() bool { return s.N == 0 }

// Describe returns the span in words: "72 hours", "4 business days".
func (s Span) Describe() string {
	unit := map[string]string{UnitMinutes: "minute", UnitHours: "hour", UnitDays: "calendar day",
		UnitBusinessDays: "business day", UnitMonths: "month"}[s.Unit]
	if s.N != 1 {
		unit += "s"
	}
	return strconv.Itoa(s.N) + " " + unit
}

// addTo returns start plus s. Business days need cal and use its time
// zone; cutoff is the local time of day a business-day deadline falls due
// (zero: 23:59:59). Months keep the day of the month, or the last day of a
// shorter month (31 January + 1 month = 28 or 29 February).
func (s Span) addTo(start time.Time, cal *Calendar, cutoff time.Duration) (time.Time, error) {
	switch s.Unit {
	case UnitMinutes:
		return start.Add(time.Duration(s.N) * time.Minute), nil
	case UnitHours:
		return start.Add(time.Duration(s.N) * time.Hour), nil
	case UnitDays:
		return start.Add(time.Duration(s.N) * 24 * time.Hour), nil
	case UnitMonths:
		return addMonths(start.UTC(), s.N), nil
	case UnitBusinessDays:
		if cal == nil {
			return time.Time{}, fmt.Errorf("%s: business days need a holiday calendar", s)
		}
		return cal.AddBusinessDays(start, s.N, cutoff), nil
	}
	return time.Time{}, fmt.Errorf("%s: unknown unit %q", s, s.Unit)
}

// addMonths adds n months to t, clamping the day to the month's last.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, t.Location())
	last := first.AddDate(0, 1, -1).Day()
	d = min(d, last)
	h, mi, sec := t.Clock()
	return time.Date(first.Year(), first.Month(), d, h, mi, sec, t.Nanosecond(), t.Location())
}

var cutoffSyntax = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)

// parseCutoff reads "17:30" as a time of day.
func parseCutoff(s string) (time.Duration, error) {
	m := cutoffSyntax.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("cutoff %q: want a local time of day HH:MM, such as 17:30", s)
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	if h == 0 && mi == 0 {
		return 0, fmt.Errorf("cutoff %q: 00:00 would end the day before; leave cutoff out for"+
			" the end of the day", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute, nil
}
