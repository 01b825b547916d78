package readiness

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// TestCVSSBaseScore checks the calculator against published base scores
// (NVD and the CVSS v3.1 specification's examples).
func TestCVSSBaseScore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vector string
		score  float64
		sev    Severity
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, SeverityCritical},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, SeverityCritical},
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9, SeverityCritical},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", 9.0, SeverityCritical},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1, SeverityHigh},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8, SeverityHigh},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, SeverityHigh},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, SeverityHigh},
		{"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2, SeverityHigh},
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 6.5, SeverityMedium},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, SeverityMedium},
		{"CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:C/C:H/I:N/A:N", 5.6, SeverityMedium},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H", 5.5, SeverityMedium},
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4, SeverityMedium},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3, SeverityMedium},
		{"CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N", 4.7, SeverityMedium},
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:L/A:N", 4.3, SeverityMedium},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, SeverityLow},
		{"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", 0.0, SeverityNone},
		// Metrics in another order, with temporal and environmental ones.
		{"CVSS:3.1/S:U/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H/E:P/RL:O/MAV:L", 9.8, SeverityCritical},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, SeverityCritical},
	}
	for _, tt := range tests {
		c, err := ParseCVSS(tt.vector)
		if err != nil {
			t.Errorf("ParseCVSS(%s): %v", tt.vector, err)
			continue
		}
		got := c.BaseScore()
		if got != tt.score || SeverityOfScore(got) != tt.sev {
			t.Errorf("%s: score %.1f (%s), want %.1f (%s)", tt.vector, got, SeverityOfScore(got),
				tt.score, tt.sev)
		}
	}
}

func TestRoundUp(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want float64 }{
		{4.0, 4.0}, {4.02, 4.1}, {4.000001, 4.0}, {0.01, 0.1}, {9.87, 9.9}, {10, 10},
		{4.1000000000000005, 4.1}, // floating-point noise must not add a tenth
	} {
		if got := roundUp(tt.in); got != tt.want {
			t.Errorf("roundUp(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseCVSSErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vector string
		pos    int
		msg    string
	}{
		{"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 0, "prefix"},
		{"CVSS:2.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 5, "version"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", 40, "A is missing"},
		{"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 12, "metric AV"},
		{"CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 14, "twice"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1", 45, "unknown metric"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", 45, "METRIC:VALUE"},
		{"CVSS:3.1/av:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9, "unknown metric"},
		{"CVSS:3.1/AV:NN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 12, "metric AV"},
	}
	for _, tt := range tests {
		_, err := ParseCVSS(tt.vector)
		var ce *CVSSError
		if !errors.As(err, &ce) || ce.Pos != tt.pos || !strings.Contains(ce.Msg, tt.msg) {
			t.Errorf("ParseCVSS(%s) = %v, want a *CVSSError at %d with %q", tt.vector, err,
				tt.pos, tt.msg)
		}
	}
}

// FuzzParseCVSS checks that any string parses or fails cleanly, and that a
// parsed vector scores within 0–10 in tenths and prints back to a vector
// with the same score.
func FuzzParseCVSS(f *testing.F) {
	for _, s := range []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:C/C:L/I:L/A:L/E:X", "CVSS:3.0/", "CVSS:3.1/AV"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCVSS(s)
		if err != nil {
			return
		}
		score := c.BaseScore()
		if score < 0 || score > 10 || math.Abs(score*10-math.Round(score*10)) > 1e-9 {
			t.Fatalf("%q: score %v out of range or not in tenths", s, score)
		}
		again, err := ParseCVSS(c.String())
		if err != nil || again.BaseScore() != score {
			t.Fatalf("%q: String() %q re-parses to %v, %v", s, c.String(), again, err)
		}
	})
}
