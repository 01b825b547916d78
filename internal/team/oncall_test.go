package team

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no tz database: %v", err)
	}
	return loc
}

func TestOnCall(t *testing.T) {
	t.Parallel()
	paris := mustZone(t, "Europe/Paris")
	at := func(day, hour, min int) time.Time {
		return time.Date(2026, 3, day, hour, min, 0, 0, paris)
	}
	tm := Team{ID: "soc", EscalationContact: "boss", Members: []string{"ana", "bo", "cy"},
		Roster: []Shift{
			{User: "ana", Start: at(28, 8, 0), End: at(28, 20, 0), TimeZone: "Europe/Paris"},
			// bo's shift overlaps ana's last hour (a handover).
			{User: "bo", Start: at(28, 19, 0), End: at(29, 0, 0), TimeZone: "Europe/Paris"},
			// Gap from midnight to 01:00; cy covers 01:00–08:00 local on the
			// night clocks go forward (02:00 -> 03:00): six hours.
			{User: "cy", Start: at(29, 1, 0), End: at(29, 8, 0), TimeZone: "Europe/Paris"},
		}}
	tests := []struct {
		name     string
		at       time.Time
		users    []string
		fallback bool
	}{
		{"inside one shift", at(28, 9, 0), []string{"ana"}, false},
		{"start is inclusive", at(28, 8, 0), []string{"ana"}, false},
		{"overlap: latest start first", at(28, 19, 30), []string{"bo", "ana"}, false},
		{"end is exclusive", at(28, 20, 0), []string{"bo"}, false},
		{"gap falls back to the contact", at(29, 0, 30), []string{"boss"}, true},
		{"before the roster", at(1, 0, 0), []string{"boss"}, true},
		{"after the DST jump, in UTC", time.Date(2026, 3, 29, 5, 59, 0, 0, time.UTC),
			[]string{"cy"}, false},
		{"shift end in UTC after DST", time.Date(2026, 3, 29, 6, 0, 0, 0, time.UTC),
			[]string{"boss"}, true},
		{"same instant in another zone", at(28, 9, 0).In(time.FixedZone("X", -5*3600)),
			[]string{"ana"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tm.OnCall(tt.at)
			if diff := cmp.Diff(tt.users, got.Users); diff != "" {
				t.Errorf("OnCall(%v) users (-want +got):\n%s", tt.at, diff)
			}
			if got.Fallback != tt.fallback {
				t.Errorf("OnCall(%v) fallback %t, want %t", tt.at, got.Fallback, tt.fallback)
			}
		})
	}
	if d := tm.Roster[2].End.Sub(tm.Roster[2].Start); d != 6*time.Hour {
		t.Errorf("cy's shift across the DST change lasts %v, want 6h", d)
	}
}

func TestParseShiftTimeDST(t *testing.T) {
	t.Parallel()
	ny := mustZone(t, "America/New_York")
	tests := []struct {
		in   string
		want time.Time
	}{
		// Clocks fall back on 2026-11-01 at 02:00 EDT: 08:00 is EST (-5).
		{"2026-11-01 08:00", time.Date(2026, 11, 1, 13, 0, 0, 0, time.UTC)},
		{"2026-10-31T08:00", time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC)},
		{"2026-11-01T08:00:00+01:00", time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := ParseShiftTime(tt.in, ny)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseShiftTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := ParseShiftTime("tomorrow", ny); err == nil {
		t.Error("ParseShiftTime(tomorrow): no error")
	}
}
