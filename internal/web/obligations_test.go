package web

import "testing"

func TestTimeLeft(t *testing.T) {
	for _, tc := range []struct {
		secs int64
		want string
	}{
		{0, "00:00:00 left"},
		{59, "00:00:59 left"},
		{3600 + 2*60 + 3, "01:02:03 left"},
		{86400, "1d 00:00:00 left"},
		{3*86400 + 23*3600 + 59*60 + 59, "3d 23:59:59 left"},
		{-1, "overdue by 00:00:01"},
		{-(2*86400 + 3600), "overdue by 2d 01:00:00"},
	} {
		if got := timeLeft(tc.secs); got != tc.want {
			t.Errorf("timeLeft(%d) = %q, want %q", tc.secs, got, tc.want)
		}
	}
}
