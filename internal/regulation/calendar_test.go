package regulation

import (
	"slices"
	"testing"
	"time"
)

func mustBuiltin(t testing.TB) *Catalog {
	t.Helper()
	c, err := Builtin()
	if err != nil {
		t.Fatalf("built-in catalog: %v", err)
	}
	return c
}

// nthWeekday returns the n-th (1-based; -1 for the last) weekday of a month.
func nthWeekday(y int, m time.Month, wd time.Weekday, n int) time.Time {
	if n < 0 {
		d := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC)
		for d.Weekday() != wd {
			d = d.AddDate(0, 0, -1)
		}
		return d
	}
	d := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	for d.Weekday() != wd {
		d = d.AddDate(0, 0, 1)
	}
	return d.AddDate(0, 0, 7*(n-1))
}

// observed moves a Saturday holiday to Friday and a Sunday one to Monday
// (5 U.S.C. 6103(b), Executive Order 11582).
func observed(d time.Time) time.Time {
	switch d.Weekday() {
	case time.Saturday:
		return d.AddDate(0, 0, -1)
	case time.Sunday:
		return d.AddDate(0, 0, 1)
	}
	return d
}

// TestUSFederalHolidaysFollowTheStatute recomputes the shipped US federal
// holidays from the rules of 5 U.S.C. 6103 and compares.
func TestUSFederalHolidaysFollowTheStatute(t *testing.T) {
	t.Parallel()
	cal, ok := mustBuiltin(t).Calendar("us-federal")
	if !ok {
		t.Fatal("no us-federal calendar")
	}
	var want []string
	for y := cal.From; y <= cal.To+1; y++ {
		fixed := func(m time.Month, d int) time.Time {
			return observed(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
		}
		for _, d := range []time.Time{fixed(1, 1), nthWeekday(y, 1, time.Monday, 3),
			nthWeekday(y, 2, time.Monday, 3), nthWeekday(y, 5, time.Monday, -1), fixed(6, 19),
			fixed(7, 4), nthWeekday(y, 9, time.Monday, 1), nthWeekday(y, 10, time.Monday, 2),
			fixed(11, 11), nthWeekday(y, 11, time.Thursday, 4), fixed(12, 25)} {
			if d.Year() >= cal.From && d.Year() <= cal.To {
				want = append(want, d.Format(time.DateOnly))
			}
		}
	}
	slices.Sort(want)
	if got := sortedKeys(cal.Holidays); !slices.Equal(got, want) {
		t.Errorf("us-federal holidays:\n got %v\nwant %v", got, want)
	}
}

// easter returns Easter Sunday (Gregorian; Meeus/Jones/Butcher).
func easter(y int) time.Time {
	a, b, c := y%19, y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(y, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

func TestBrazilHolidaysFollowTheLaw(t *testing.T) {
	t.Parallel()
	cal, ok := mustBuiltin(t).Calendar("br-national")
	if !ok {
		t.Fatal("no br-national calendar")
	}
	var want []string
	for y := cal.From; y <= cal.To; y++ {
		for _, md := range [][2]int{{1, 1}, {4, 21}, {5, 1}, {9, 7}, {10, 12}, {11, 2}, {11, 15},
			{11, 20}, {12, 25}} {
			want = append(want, time.Date(y, time.Month(md[0]), md[1], 0, 0, 0, 0, time.UTC).
				Format(time.DateOnly))
		}
		want = append(want, easter(y).AddDate(0, 0, -2).Format(time.DateOnly)) // Good Friday
	}
	slices.Sort(want)
	if got := sortedKeys(cal.Holidays); !slices.Equal(got, want) {
		t.Errorf("br-national holidays:\n got %v\nwant %v", got, want)
	}
}

func TestAddBusinessDays(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	us, _ := c.Calendar("us-federal")
	br, _ := c.Calendar("br-national")
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name   string
		cal    *Calendar
		start  string
		n      int
		cutoff time.Duration
		want   string
	}{
		// Thursday 2 July 2026; Friday 3 July is Independence Day
		// (observed), then the weekend: Mon 6, Tue 7, Wed 8, Thu 9.
		{"across a holiday and a weekend", us, "2026-07-02T14:00:00Z", 4,
			17*time.Hour + 30*time.Minute, "2026-07-09T17:30:00-04:00"},
		// 02:00 UTC on Friday is still Thursday in New York.
		{"the day of start is local", us, "2026-07-03T02:00:00Z", 1, 0,
			"2026-07-06T23:59:59-04:00"},
		{"start on a Saturday", us, "2026-07-04T15:00:00Z", 1, 0, "2026-07-06T23:59:59-04:00"},
		// Daylight saving time ends on Sunday 1 November 2026.
		{"across the end of daylight saving", us, "2026-10-30T16:00:00Z", 2, 0,
			"2026-11-03T23:59:59-05:00"},
		{"Thanksgiving", us, "2026-11-25T15:00:00Z", 1, 0, "2026-11-27T23:59:59-05:00"},
		// Thursday 2 April 2026; Good Friday 3 April, then the weekend.
		{"Good Friday in Brazil", br, "2026-04-02T13:00:00Z", 3, 0, "2026-04-08T23:59:59-03:00"},
		// Thursday 19 November 2026; Friday 20 November is Black
		// Consciousness Day.
		{"Consciência Negra", br, "2026-11-19T13:00:00Z", 1, 0, "2026-11-23T23:59:59-03:00"},
	} {
		got := tc.cal.AddBusinessDays(at(tc.start), tc.n, tc.cutoff)
		if want := at(tc.want); !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s: %d business days after %s = %v, want %v (in UTC)", tc.name, tc.n,
				tc.start, got, want.UTC())
		}
	}
}

func TestSpans(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
	}{{"72h", "72 hours"}, {"1h", "1 hour"}, {"4bd", "4 business days"}, {"1mo", "1 month"},
		{"30d", "30 calendar days"}, {"90min", "90 minutes"}} {
		s, err := ParseSpan(tc.in)
		if err != nil || s.Describe() != tc.want || s.String() != tc.in {
			t.Errorf("ParseSpan(%q) = %v (%q), %v; want %q", tc.in, s, s.Describe(), err, tc.want)
		}
	}
	for _, bad := range []string{"", "72", "h", "-1h", "0d", "1.5h", "3 days", "1y", "10000h"} {
		if s, err := ParseSpan(bad); err == nil {
			t.Errorf("ParseSpan(%q) = %v, want an error", bad, s)
		}
	}
	for _, tc := range []struct{ from, want string }{
		{"2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z"},
		{"2028-01-31T10:00:00Z", "2028-02-29T10:00:00Z"},
		{"2026-03-31T10:00:00Z", "2026-04-30T10:00:00Z"},
		{"2026-07-04T09:00:00Z", "2026-08-04T09:00:00Z"},
		{"2026-12-15T09:00:00Z", "2027-01-15T09:00:00Z"},
	} {
		from, _ := time.Parse(time.RFC3339, tc.from)
		got, err := Span{N: 1, Unit: UnitMonths}.addTo(from, nil, 0)
		if err != nil || got.Format(time.RFC3339) != tc.want {
			t.Errorf("%s + 1 month = %v, %v; want %s", tc.from, got, err, tc.want)
		}
	}
}
