package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/readiness"
)

// TestReadinessPage shows training, findings and exercises, by role.
func TestReadinessPage(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	now := time.Now().UTC()
	p := &readiness.Person{Name: "u-responder", Roles: []string{"responder"},
		Teams: []string{"sirt"}, Joined: readiness.NewDate(now.AddDate(0, -3, 0))}
	if err := e.st.PutPerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	ex := &readiness.Exercise{Name: "Q4 drill", Kind: readiness.ExerciseSimulation,
		Status: readiness.ExerciseCompleted, Runs: []readiness.Run{{ID: 1, Scenario: "webshell",
			Summary: readiness.RunSummary{Expected: 3, Detected: 2, Missed: 1,
				MeanTTDMillis: 48}}}}
	if err := e.st.CreateExercise(ctx, ex); err != nil {
		t.Fatal(err)
	}
	f := readiness.Finding{Source: readiness.SourcePentest, Title: "IDOR <b>orders</b>",
		Severity: readiness.SeverityHigh, Services: []string{"orders"}, Found: now,
		Tracking: readiness.Tracking{Owner: "u-service-engineer", State: readiness.StateOpen,
			Due: readiness.Day(now).AddDate(0, 0, -2), History: []readiness.StateChange{}}}
	if err := e.st.CreateFindings(ctx, []readiness.Finding{f}); err != nil {
		t.Fatal(err)
	}

	b := e.signIn(t, auth.RoleResponder)
	res, body := b.get("/readiness")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("responder GET /readiness: %d", res.StatusCode)
	}
	for _, want := range []string{"1 people · <strong>4 overdue</strong>",
		"<td>sirt</td><td>u-responder</td><td>Security incident basics",
		"IDOR &lt;b&gt;orders&lt;/b&gt;", `<tr class="overdue">`, "1 open, 1 overdue",
		"webshell: detected 2 of 3", "1 missed", "mean time to detect 48ms",
		`href="/api/v1/exercises/1/report"`, `href="/readiness" class="active"`} {
		if !strings.Contains(body, want) {
			t.Errorf("responder's page lacks %q", want)
		}
	}
	_, body = e.signIn(t, auth.RoleServiceEngineer).get("/readiness")
	if !strings.Contains(body, "Training records are shown to") ||
		strings.Contains(body, "training-overdue") || !strings.Contains(body, "IDOR") {
		t.Errorf("service engineer's page: want findings and no training records:\n%s", body)
	}
	if res, _ := e.signIn(t, auth.RoleTenantAdmin).get("/readiness"); res.StatusCode !=
		http.StatusForbidden {
		t.Errorf("tenant-admin GET /readiness: %d, want 403", res.StatusCode)
	}
}
