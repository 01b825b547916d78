package readiness

import (
	"strings"
	"testing"
	"time"
)

// TestDisclosureEscapes checks that text from people cannot break the
// report's tables or smuggle HTML and links into it.
func TestDisclosureEscapes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	e := &Exercise{ID: 4, Name: "Drill | <script>alert(1)</script>", Kind: ExerciseTabletop,
		Status: ExerciseCompleted, Runs: []Run{{ID: 1, Scenario: "s", Started: now,
			Finished: now, Steps: []RunStep{{Step: "a\n| injected | row |", Sent: now,
				Events: 1}},
			Detections: []Detection{{Expect: Expectation{Tag: "attack.t1", Title: "[x](http://e)",
				Severity: SeverityLow}}}}}}
	md := Disclosure(e, []Finding{{ID: 2, Title: "t|u", Severity: SeverityLow,
		Tracking: Tracking{State: StateOpen, Due: now.AddDate(0, 0, -1)}}}, nil, now)
	for _, bad := range []string{"<script>", "\n| injected", "[x](http://e)", "| t|u |"} {
		if strings.Contains(md, bad) {
			t.Errorf("report contains %q:\n%s", bad, md)
		}
	}
	for _, want := range []string{`Drill \| &lt;script&gt;`, `a \| injected \| row \|`,
		`\[x\](http://e)`, "| 2 | t\\|u | low | (unassigned) | 2026-04-30 | open | **yes** |",
		"Nothing: every expected"} {
		if want == "Nothing: every expected" {
			if strings.Contains(md, want) {
				t.Errorf("report says nothing was missed:\n%s", md)
			}
			continue
		}
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
