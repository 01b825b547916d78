package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/plan"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// txWorld holds the committed objects that the writes of a transaction
// change, as read before it.
type txWorld struct {
	incident *store.IncidentRecord
	alert    *detect.Alert // linked to incident
	eventID  int64
	user     *store.User
	token    store.Token
	sessions [3][]byte // the first two stored, the third created in the transaction
	evidence *evidence.Evidence
	supp     *store.Suppression
	cas      *store.Case
	vuln     *store.Vulnerability
	team     *team.Team
	engaged  team.Engagement
	task     *plan.Task
	watch    *plan.WatchRule
	note     *notify.Notification // failed
	webhook  *notify.Webhook
	scope    *txScopeWorld // inventory, tenants, readiness (txscope.go)
	pm       *postmortem.PostMortem
	followUp *postmortem.FollowUp
}

// newTxWorld stores one object of each kind that a Tx method changes.
func newTxWorld(t *testing.T, s store.Store) *txWorld {
	t.Helper()
	ctx := t.Context()
	w := &txWorld{eventID: insertEvents(t, s, simpleEvent(1))[0]}
	w.alert = insertAlert(t, s, &detect.Alert{RuleID: "r1", Level: "high",
		EventIDs: []int64{w.eventID}, Created: base})
	inc := createIncident(t, s, newIncident(base, w.alert.ID))
	w.user = &store.User{Name: "ana", Roles: []string{"responder"}, Email: "ana@example.com"}
	w.token = store.Token{Name: "ci", Hash: hash("ci"), Role: "admin", Created: base}
	w.evidence = newEvidence(inc.ID, sha("a"))
	w.supp = &store.Suppression{RuleID: "r1", Fields: map[string]string{}, Reason: "lab",
		Created: base}
	w.cas = &store.Case{Tenant: "acme", Title: "odd", Seen: "x", Service: "mail", Level: "low",
		State: "open", Reporter: "user:t", Created: base, Updated: base}
	w.vuln = &store.Vulnerability{Title: "TLS 1.0", Kind: "known_issue", Severity: "high",
		Deadline: base, State: "open", Created: base, Updated: base}
	w.team = sampleTeam("legal")
	w.task = &plan.Task{IncidentID: inc.ID, Phase: incident.PhaseAnalysis, Kind: plan.KindTask,
		Title: "look", Status: plan.StatusOpen, CreatedBy: "user:ana"}
	w.watch = &plan.WatchRule{IncidentID: inc.ID, RuleID: "w1", Title: "watch",
		YAML: "title: watch\n", Expires: base.Add(time.Hour), CreatedBy: "user:ana",
		Created: base}
	w.webhook = &notify.Webhook{Name: "chat", URL: "https://chat.example/", Secret: "s3cret"}
	es := []team.Engagement{{IncidentID: inc.ID, User: "ana", Role: team.RoleCommander,
		Reason: "escalated", EngagedAt: base, EngagedBy: "user:ana"}}
	err := errors.Join(s.CreateUser(ctx, w.user), s.CreateToken(ctx, w.token),
		s.CreateSuppression(ctx, w.supp), s.CreateCase(ctx, w.cas),
		s.CreateVulnerability(ctx, w.vuln), s.CreateTeam(ctx, w.team),
		s.AddEngagements(ctx, es), s.CreateTask(ctx, w.task), s.AddWatchRule(ctx, w.watch),
		s.CreateWebhook(ctx, w.webhook))
	if err != nil {
		t.Fatalf("store the objects: %v", err)
	}
	w.engaged = es[0]
	addEvidence(t, s, w.evidence)
	for i := range w.sessions {
		w.sessions[i] = hash("session " + strconv.Itoa(i))
		if i < 2 {
			err = errors.Join(err, s.CreateSession(ctx, store.Session{ID: w.sessions[i],
				UserID: w.user.ID, Created: base, LastSeen: base, Expires: base.Add(time.Hour),
				CSRF: "c"}))
		}
	}
	w.note = enqueue(t, s, newNotification("k1", inc.ID))
	err = errors.Join(err, s.RecordAttempt(ctx, w.note.ID, notify.Delivery{At: base,
		Error: "refused"}, notify.StateFailed, 1, base))
	if err != nil {
		t.Fatalf("store the objects: %v", err)
	}
	if w.incident, err = s.GetIncidentRecord(ctx, inc.ID); err != nil {
		t.Fatal(err)
	}
	w.pm, w.followUp = storePostMortem(t, s, inc.ID)
	if w.token.ID = tokenID(t, s, w.token.Name); w.token.ID == 0 {
		t.Fatal("token not stored")
	}
	w.scope = newTxScopeWorld(t, s)
	return w
}

// tokenID returns the ID of the token named name, 0 if there is none.
func tokenID(t *testing.T, s store.Store, name string) int64 {
	t.Helper()
	list, err := s.ListTokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range list {
		if tok.Name == name {
			return tok.ID
		}
	}
	return 0
}

// copyWorld returns copies of the objects that writes change in place, so
// that a rolled-back run leaves w as it was.
func (w *txWorld) copyWorld() *txWorld {
	c := *w
	rec := *w.incident
	tm, task, cas, vuln, u := *w.team, *w.task, *w.cas, *w.vuln, *w.user
	watch, eng := *w.watch, w.engaged
	c.incident, c.team, c.task, c.cas, c.vuln, c.user = &rec, &tm, &task, &cas, &vuln, &u
	c.watch, c.engaged = &watch, eng
	pm, fu := *w.pm, *w.followUp
	c.pm, c.followUp = &pm, &fu
	return &c
}

// written is what a run of everyWrite created, for the checks after it.
type written struct {
	incident int64
	entries  []*audit.Entry
}

// everyWrite calls every write method of tx once, and the reads, each
// checked against what the transaction wrote before it.
func everyWrite(ctx context.Context, tx store.Tx, w *txWorld) (written, error) {
	var out written
	inc := newIncident(base.Add(time.Hour))
	if err := tx.CreateIncident(ctx, inc); err != nil {
		return out, fmt.Errorf("CreateIncident: %w", err)
	}
	out.incident = inc.ID
	for i, action := range []audit.Action{audit.IncidentOpened, audit.IncidentUpdated} {
		e := &audit.Entry{Time: base, Actor: "user:ana", Action: action,
			ObjectType: "incident", ObjectID: strconv.FormatInt(inc.ID, 10),
			Details: json.RawMessage(fmt.Sprintf(`{"number":%q,"step":%d}`, inc.Number, i))}
		if err := tx.AppendAudit(ctx, e); err != nil {
			return out, fmt.Errorf("AppendAudit: %w", err)
		}
		out.entries = append(out.entries, e)
	}
	for _, step := range []func(context.Context, store.Tx, *txWorld, int64) error{
		writeAlerts, writeUsers, writeEvidence, writeTriage, writeResponse, writeNotify,
		writeScope, writeReadiness,
		writePostMortems,
	} {
		if err := step(ctx, tx, w, inc.ID); err != nil {
			return out, err
		}
	}
	return out, nil
}

// writeAlerts writes alerts, links and the incident record in tx.
func writeAlerts(ctx context.Context, tx store.Tx, w *txWorld, incID int64) error {
	a := &detect.Alert{RuleID: "r2", Level: "low", EventIDs: []int64{w.eventID}}
	g := triageAlert("h", base, w.eventID)
	w.incident.Record.Title = "Renamed in a transaction"
	_, err := tx.GroupAlert(ctx, g, time.Minute)
	err = errors.Join(err, tx.InsertAlert(ctx, a),
		tx.UpdateIncidentRecord(ctx, w.incident),
		tx.SetAlertTriage(ctx, w.alert.ID, "new", store.AlertTriage{State: "acknowledged",
			Updated: base}),
		tx.LinkAlerts(ctx, incID, []int64{w.alert.ID}),
		tx.UnlinkAlert(ctx, w.incident.ID, w.alert.ID))
	if err != nil {
		return fmt.Errorf("alert writes: %w", err)
	}
	linked, err := tx.AlertIncidents(ctx, w.alert.ID)
	if err != nil || !cmp.Equal(linked, []int64{incID}) {
		return fmt.Errorf("AlertIncidents in the transaction = %v, %v; want [%d]", linked, err,
			incID)
	}
	return nil
}

// writeUsers writes tokens, users and sessions in tx.
func writeUsers(ctx context.Context, tx store.Tx, w *txWorld, _ int64) error {
	w.user.Email = "ana@elsewhere.example"
	tok := store.Token{Name: "new", Hash: hash("new"), Role: "auditor"}
	err := errors.Join(tx.CreateToken(ctx, tok), tx.RevokeToken(ctx, w.token.ID),
		tx.CreateUser(ctx, &store.User{Name: "bo", Roles: []string{"auditor"}}),
		tx.UpdateUser(ctx, w.user), tx.DeleteSession(ctx, w.sessions[0]))
	if err != nil {
		return fmt.Errorf("user writes: %w", err)
	}
	if got, err := tx.TokenByHash(ctx, tok.Hash); err != nil || got.Name != "new" {
		return fmt.Errorf("TokenByHash in the transaction = %+v, %v; want the new token", got,
			err)
	}
	if n, err := tx.DeleteUserSessions(ctx, w.user.ID); err != nil || n != 1 {
		return fmt.Errorf("DeleteUserSessions = %d, %v; want 1", n, err)
	}
	return tx.CreateSession(ctx, store.Session{ID: w.sessions[2], UserID: w.user.ID,
		Created: base, LastSeen: base, Expires: base.Add(time.Hour), CSRF: "c"})
}

// writeEvidence adds evidence and a custody entry in tx.
func writeEvidence(ctx context.Context, tx store.Tx, w *txWorld, incID int64) error {
	first := &evidence.Custody{Action: evidence.Acquired, By: "user:ana", At: base}
	err := errors.Join(tx.AddEvidence(ctx, newEvidence(incID, sha("b")), first),
		tx.AppendCustody(ctx, &evidence.Custody{EvidenceID: w.evidence.ID,
			Action: evidence.Accessed, By: "user:ana", At: base, Reason: "review"}))
	if err != nil {
		return fmt.Errorf("evidence writes: %w", err)
	}
	return nil
}

// writeTriage writes suppressions, cases and vulnerability reports in tx.
func writeTriage(ctx context.Context, tx store.Tx, w *txWorld, _ int64) error {
	w.cas.State, w.vuln.State = "escalated", "fixing"
	err := errors.Join(
		tx.CreateSuppression(ctx, &store.Suppression{RuleID: "r9",
			Fields: map[string]string{}, Reason: "x", Created: base}),
		tx.DeleteSuppression(ctx, w.supp.ID),
		tx.CreateCase(ctx, &store.Case{Tenant: "acme", Title: "new", Seen: "y",
			Service: "web", Level: "high", State: "open", Reporter: "user:t", Created: base,
			Updated: base}),
		tx.UpdateCase(ctx, w.cas),
		tx.CreateVulnerability(ctx, &store.Vulnerability{Title: "new", Kind: "known_issue",
			Severity: "low", Deadline: base, State: "open", Created: base, Updated: base}),
		tx.UpdateVulnerability(ctx, w.vuln))
	if err != nil {
		return fmt.Errorf("triage writes: %w", err)
	}
	return nil
}

// writeResponse writes teams, engagements, tasks and watch rules in tx.
func writeResponse(ctx context.Context, tx store.Tx, w *txWorld, incID int64) error {
	w.team.Members = append(w.team.Members, "lia")
	w.task.Status = plan.StatusDone
	w.watch.RemovedAt, w.watch.RemovedBy, w.watch.RemovedReason = base, "user:ana", "noisy"
	if err := w.engaged.Disengage("user:ana", "done", base); err != nil {
		return err
	}
	err := errors.Join(tx.CreateTeam(ctx, sampleTeam("intel")), tx.UpdateTeam(ctx, w.team),
		tx.AddEngagements(ctx, []team.Engagement{{IncidentID: incID, User: "bo",
			Role: team.RoleScribe, EngagedAt: base, EngagedBy: "user:ana"}}),
		tx.EndEngagement(ctx, &w.engaged),
		tx.CreateTask(ctx, &plan.Task{IncidentID: incID, Phase: incident.PhaseAnalysis,
			Kind: plan.KindTask, Title: "new", Status: plan.StatusOpen}),
		tx.UpdateTask(ctx, w.task),
		tx.AddWatchRule(ctx, &plan.WatchRule{IncidentID: incID, RuleID: "w2",
			Expires: base.Add(time.Hour), Created: base}),
		tx.RemoveWatchRule(ctx, w.watch))
	if err != nil {
		return fmt.Errorf("response writes: %w", err)
	}
	return nil
}

// writeNotify writes the notification outbox and webhooks in tx.
func writeNotify(ctx context.Context, tx store.Tx, w *txWorld, _ int64) error {
	n, err := tx.RetryNotification(ctx, w.note.ID, base)
	if err != nil || n.State != notify.StatePending {
		return fmt.Errorf("RetryNotification = %+v, %v; want it pending", n, err)
	}
	err = errors.Join(tx.RecordAttempt(ctx, w.note.ID, notify.Delivery{At: base, OK: true},
		notify.StateSent, 1, time.Time{}),
		tx.CreateWebhook(ctx, &notify.Webhook{Name: "pager", URL: "https://p.example/",
			Secret: "x"}),
		tx.DeleteWebhook(ctx, w.webhook.ID))
	if err != nil {
		return fmt.Errorf("notification writes: %w", err)
	}
	return nil
}

// worldState is everything the writes of everyWrite change, read back
// through the Store, by part.
func worldState(t *testing.T, s store.Store, w *txWorld) map[string]any {
	t.Helper()
	ctx := t.Context()
	errText := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	got := map[string]any{}
	keep := func(name string, v any, err error) {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("read %s: %v", name, err)
		}
		got[name] = []any{v, errText(err)}
	}
	alerts, err := s.ListAlerts(ctx, store.AlertFilter{Limit: store.MaxLimit})
	keep("alerts", alerts, err)
	incs, err := s.ListIncidents(ctx, store.IncidentFilter{Limit: store.MaxLimit})
	keep("incidents", incs, err)
	rec, err := s.GetIncidentRecord(ctx, w.incident.ID)
	keep("incident record", rec, err)
	linked, err := s.AlertIncidents(ctx, w.alert.ID)
	keep("alert links", linked, err)
	tokens, err := s.ListTokens(ctx)
	keep("tokens", tokens, err)
	users, err := s.ListUsers(ctx, store.UserFilter{})
	keep("users", users, err)
	for i, id := range w.sessions {
		se, err := s.SessionByID(ctx, id)
		keep("session "+strconv.Itoa(i), se, err)
	}
	custody, err := s.ListCustody(ctx, w.evidence.ID)
	keep("custody", custody, err)
	supps, err := s.ListSuppressions(ctx, "", time.Time{})
	keep("suppressions", supps, err)
	cases, err := s.ListCases(ctx, store.CaseFilter{Limit: store.MaxLimit})
	keep("cases", cases, err)
	vulns, err := s.ListVulnerabilities(ctx, store.VulnerabilityFilter{Limit: store.MaxLimit})
	keep("vulnerabilities", vulns, err)
	teams, err := s.ListTeams(ctx)
	keep("teams", teams, err)
	worldByIncident(t, s, incs.Items, keep)
	n, err := s.GetNotification(ctx, w.note.ID)
	keep("notification", n, err)
	hooks, err := s.ListWebhooks(ctx)
	keep("webhooks", hooks, err)
	scopeState(t, s, w, keep)
	pm, err := s.GetPostMortem(ctx, w.incident.ID)
	keep("post-mortem", pm, err)
	fus, err := s.ListFollowUps(ctx, store.FollowUpFilter{})
	keep("follow-ups", fus, err)
	entries, err := s.ListAudit(ctx, store.AuditFilter{Limit: store.MaxLimit})
	keep("audit", entries, err)
	return got
}

// worldByIncident reads the evidence and response parts of incidents.
func worldByIncident(t *testing.T, s store.Store, incs []incident.Incident,
	keep func(string, any, error)) {
	t.Helper()
	ctx := t.Context()
	var (
		evs   []evidence.Evidence
		es    []team.Engagement
		tasks []plan.Task
		watch []plan.WatchRule
	)
	for _, inc := range incs {
		v, err0 := s.ListEvidence(ctx, inc.ID)
		e, err1 := s.ListEngagements(ctx, inc.ID)
		k, err2 := s.ListTasks(ctx, inc.ID)
		r, err3 := s.ListWatchRules(ctx, inc.ID)
		if err := errors.Join(err0, err1, err2, err3); err != nil {
			t.Fatalf("read the parts of incident %d: %v", inc.ID, err)
		}
		evs, es, tasks = append(evs, v...), append(es, e...), append(tasks, k...)
		watch = append(watch, r...)
	}
	keep("evidence", evs, nil)
	keep("engagements", es, nil)
	keep("tasks", tasks, nil)
	keep("watch rules", watch, nil)
}

// testAtomicEveryWrite calls every write method of a transaction: when the
// function then fails, nothing of it is kept; when it succeeds, every part
// is kept, with its audit entries sealed and chained.
func testAtomicEveryWrite(t *testing.T, open func(t *testing.T) store.Store, _ Tamper) {
	s := open(t)
	ctx := t.Context()
	w := newTxWorld(t, s)
	before := worldState(t, s, w)

	boom := errors.New("boom")
	var failed written
	err := s.Atomically(ctx, func(tx store.Tx) error {
		var err error
		if failed, err = everyWrite(ctx, tx, w.copyWorld()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Atomically = %v, want the function's error", err)
	}
	if diff := cmp.Diff(before, worldState(t, s, w)); diff != "" {
		t.Errorf("a failed transaction left changes (-before +after):\n%s", diff)
	}
	for _, e := range failed.entries {
		if e.Seq != 0 || e.Hash != (audit.Hash{}) {
			t.Errorf("entry of a failed transaction sealed as seq %d", e.Seq)
		}
	}

	var done written
	err = s.Atomically(ctx, func(tx store.Tx) error {
		var err error
		done, err = everyWrite(ctx, tx, w.copyWorld())
		return err
	})
	if err != nil {
		t.Fatalf("Atomically: %v", err)
	}
	after := worldState(t, s, w)
	for part := range before {
		if cmp.Equal(before[part], after[part]) {
			t.Errorf("%s: unchanged after the transaction committed", part)
		}
	}
	checkSealed(t, s, done)
}

// checkSealed checks that the entries of a committed transaction are the
// last ones of a valid chain, in order, and were published to the caller.
func checkSealed(t *testing.T, s store.Store, w written) {
	t.Helper()
	rep, err := verifyAudit(t, s)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	last := rep.Head.Seq
	for i, e := range w.entries {
		want := last - int64(len(w.entries)-1-i)
		if e.Seq != want || e.Hash != audit.ComputeHash(*e) {
			t.Errorf("entry %d published as seq %d (hash ok: %v), want seq %d", i, e.Seq,
				e.Hash == audit.ComputeHash(*e), want)
		}
		if e.ObjectID != strconv.FormatInt(w.incident, 10) {
			t.Errorf("entry %d names incident %s, want %d", i, e.ObjectID, w.incident)
		}
	}
}
