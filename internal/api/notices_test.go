package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
)

// TestNoticeEditing drafts a notice and edits it: If-Match is required and
// must be current, an empty subject is refused naming the field, editing an
// approved notice sends it back to draft (and the obligation to drafted),
// a second draft for the obligation is refused, another incident's notice
// is not found, and a filing to an authority needs its reference.
func TestNoticeEditing(t *testing.T) {
	t.Parallel()
	w := newNoticeWorld(t, utc(t, "2026-11-19T18:30:00Z"))
	lena := w.f.signIn(t, "lena", "legal")
	cole := w.f.signIn(t, "cole", "communications")
	_, path := openScenarioIncident(t, w, utc(t, "2026-11-19T11:00:00Z"))
	other, _ := openScenarioIncident(t, w, utc(t, "2026-11-19T11:00:00Z"))
	w.f.send(t, "POST", path+"/facts", map[string]any{"name": "awareness", "truth": "yes",
		"at": "2026-11-19T12:00:00Z"}).want(t, "awareness", http.StatusOK)

	key := "gdpr-art33-2/notification@klinik-nord"
	a := cole.send(t, "POST", path+"/obligations/"+keyPath(key)+"/draft",
		map[string]any{"lang": "en"})
	a.want(t, "draft", http.StatusCreated, "lang", "en", "tenant_name", "Klinik Nord GmbH")
	n := decodeNotice(t, a)
	for _, part := range []string{"Klinik Nord GmbH", "Revoked the stolen operator key",
		"stolen operator key to read payment", "pay-1", "security@cloud.example"} {
		if !strings.Contains(n.Body, part) {
			t.Errorf("draft body lacks %q:\n%s", part, n.Body)
		}
	}
	cole.send(t, "POST", path+"/obligations/"+keyPath(key)+"/draft", nil).
		want(t, "second draft", http.StatusConflict)
	cole.send(t, "POST", path+"/obligations/"+keyPath(key)+"/draft",
		map[string]any{"lang": "German"}).want(t, "bad lang", http.StatusUnprocessableEntity,
		"field", "lang")
	np := path + "/notices/" + itoa(n.ID)

	edit := map[string]any{"subject": "Security incident at Example Cloud",
		"body": "Dear customer,\n\nwe write to tell you..."}
	cole.send(t, "PUT", np, edit).want(t, "edit without If-Match",
		http.StatusPreconditionRequired)
	w.f.send(t, "PUT", np, edit, "If-Match", `"v7"`).want(t, "stale edit",
		http.StatusPreconditionFailed)
	w.f.send(t, "PUT", np, map[string]any{"subject": " ", "body": "x"}, "If-Match", `"v1"`).
		want(t, "empty subject", http.StatusUnprocessableEntity, "field", "subject")
	if len(n.Missing) == 0 {
		t.Fatalf("draft misses nothing; the test needs a draft with placeholders:\n%s", n.Body)
	}
	// Completing one placeholder takes only that element off the list.
	first := "[to be completed: " + regulation.ElementLabel(n.Missing[0], "en") + "]"
	partial := map[string]any{"subject": n.Subject,
		"body": strings.Replace(n.Body, first, "Completed by legal.", 1)}
	a = w.f.send(t, "PUT", np, partial, "If-Match", `"v1"`)
	a.want(t, "partial edit", http.StatusOK)
	if got := decodeNotice(t, a).Missing; !slices.Equal(got, n.Missing[1:]) {
		t.Errorf("missing after completing %s: %v, want %v", n.Missing[0], got, n.Missing[1:])
	}
	a = w.f.send(t, "PUT", np, edit, "If-Match", `"v2"`)
	a.want(t, "edit", http.StatusOK,
		"subject", "Security incident at Example Cloud", "state", "draft")
	if got := decodeNotice(t, a).Missing; len(got) != 0 {
		t.Errorf("missing after an edit without placeholders: %v, want none", got)
	}
	lena.send(t, "POST", np+"/approve", nil).want(t, "approve", http.StatusOK,
		"state", "approved")
	a = w.f.send(t, "PUT", np, edit, "If-Match", `"v4"`)
	a.want(t, "edit after approval", http.StatusOK, "state", "draft")
	if a.etag != `"v5"` {
		t.Errorf("ETag after the third edit %s, want \"v5\"", a.etag)
	}
	if v := w.obligations(t, path)[key]; v.State != "drafted" {
		t.Errorf("obligation after editing the approved notice: %s, want drafted", v.State)
	}
	lena.send(t, "POST", np+"/approve", nil).want(t, "approve again", http.StatusOK)

	// Another incident's path does not reach the notice.
	w.f.send(t, "GET", "/api/v1/incidents/"+itoa(other)+"/notices/"+itoa(n.ID), nil).
		want(t, "notice under another incident", http.StatusNotFound)
	var list struct {
		Items []noticeJSON `json:"items"`
	}
	w.f.getJSON(t, path+"/notices", &list)
	if len(list.Items) != 1 || list.Items[0].ID != n.ID || list.Items[0].State != "approved" {
		t.Errorf("notices of the incident: %+v, want the approved one", list.Items)
	}

	// A notice to the authority is filed by hand: it needs a reference.
	auth := cole.send(t, "POST", path+"/obligations/"+keyPath("gdpr-art33/notification")+
		"/draft", nil)
	auth.want(t, "draft to the authority", http.StatusCreated, "party", "authority")
	an := decodeNotice(t, auth)
	ap := path + "/notices/" + itoa(an.ID)
	lena.send(t, "POST", ap+"/approve", nil).want(t, "approve with placeholders",
		http.StatusConflict)
	completeNotice(t, lena, ap, an)
	lena.send(t, "POST", ap+"/approve", nil).want(t, "approve", http.StatusOK)
	cole.send(t, "POST", ap+"/send", map[string]any{}).want(t, "file without reference",
		http.StatusUnprocessableEntity, "field", "reference")
	if got := w.f.auditCount(t, audit.NoticeEdited); got != 4 {
		t.Errorf("%d notice.edited entries, want 4", got)
	}
}

// TestNoticeExerciseRefused: a notice about an exercise's incident can be
// drafted and approved (drills rehearse it) but sending it answers 409 and
// queues nothing; the obligation stays approved.
func TestNoticeExerciseRefused(t *testing.T) {
	t.Parallel()
	w := newNoticeWorld(t, utc(t, "2026-11-19T18:30:00Z"))
	lena := w.f.signIn(t, "lena", "legal")
	cole := w.f.signIn(t, "cole", "communications")
	id, path := openScenarioIncident(t, w, utc(t, "2026-11-19T11:00:00Z"))
	ctx := context.Background()
	e := &readiness.Exercise{Name: "payment farm drill", Kind: readiness.ExerciseSimulation,
		Status: readiness.ExerciseRunning}
	if err := w.f.st.CreateExercise(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := w.f.st.MarkExercise(ctx, store.MarkIncident, id, e.ID); err != nil {
		t.Fatal(err)
	}
	w.f.send(t, "POST", path+"/facts", map[string]any{"name": "awareness", "truth": "yes",
		"at": "2026-11-19T12:00:00Z"}).want(t, "awareness", http.StatusOK)
	key := "gdpr-art33-2/notification@klinik-nord"
	a := cole.send(t, "POST", path+"/obligations/"+keyPath(key)+"/draft", nil)
	a.want(t, "draft", http.StatusCreated)
	n := decodeNotice(t, a)
	np := path + "/notices/" + itoa(n.ID)
	completeNotice(t, lena, np, n)
	lena.send(t, "POST", np+"/approve", nil).want(t, "approve", http.StatusOK)
	a = cole.send(t, "POST", np+"/send", nil)
	a.want(t, "send about an exercise", http.StatusConflict)
	if msg, _ := a.body["error"].(string); !strings.Contains(msg, "exercise") {
		t.Errorf("refusal %q does not say it is an exercise", msg)
	}
	page, err := w.f.st.ListNotifications(ctx, store.NotificationFilter{IncidentID: id})
	if err != nil || page.Total != 0 {
		t.Errorf("outbox after the refusal: %d entries, %v; want none", page.Total, err)
	}
	var got noticeJSON
	w.f.getJSON(t, np, &got)
	if got.State != "approved" || len(got.Deliveries) != 0 {
		t.Errorf("notice after the refusal: %s with %d deliveries, want approved, none",
			got.State, len(got.Deliveries))
	}
	if v := w.obligations(t, path)[key]; v.State != "approved" || !v.Exercise {
		t.Errorf("obligation after the refusal: %s (exercise %t), want approved", v.State,
			v.Exercise)
	}
	w.deliver(t)
	if len(w.smtp.Messages()) != 0 {
		t.Errorf("the SMTP peer got %d messages about an exercise", len(w.smtp.Messages()))
	}
}

// TestNoticeRedraft: a notice drafted before its obligation's deadline
// changed shows stale; a draft with replace redrafts the approved notice
// from the current record (new version, back to draft, the obligation back
// to drafted, audited) and clears stale; a sent notice is never replaced.
func TestNoticeRedraft(t *testing.T) {
	t.Parallel()
	w := newNoticeWorld(t, utc(t, "2026-11-19T18:30:00Z"))
	lena := w.f.signIn(t, "lena", "legal")
	cole := w.f.signIn(t, "cole", "communications")
	_, path := openScenarioIncident(t, w, utc(t, "2026-11-19T11:00:00Z"))
	w.f.send(t, "POST", path+"/facts", map[string]any{"name": "awareness", "truth": "yes",
		"at": "2026-11-19T12:00:00Z"}).want(t, "awareness", http.StatusOK)
	key := "gdpr-art33-2/notification@klinik-nord"
	draftPath := path + "/obligations/" + keyPath(key) + "/draft"
	replace := map[string]any{"replace": true}

	a := cole.send(t, "POST", draftPath, map[string]any{"lang": "en"})
	a.want(t, "draft", http.StatusCreated)
	n := decodeNotice(t, a)
	if n.Stale {
		t.Error("a fresh draft is stale")
	}
	np := path + "/notices/" + itoa(n.ID)
	n = completeNotice(t, lena, np, n)
	lena.send(t, "POST", np+"/approve", nil).want(t, "approve", http.StatusOK)
	before := w.obligations(t, path)[key].Deadline

	// Awareness turns out to be earlier: the deadline moves.
	w.f.send(t, "POST", path+"/facts", map[string]any{"name": "awareness", "truth": "yes",
		"at": "2026-11-19T09:00:00Z", "note": "the first alert was three hours earlier"}).
		want(t, "earlier awareness", http.StatusOK)
	if after := w.obligations(t, path)[key].Deadline; after == nil || before == nil ||
		after.Equal(*before) {
		t.Fatalf("deadline %v -> %v: the test needs it to move", before, after)
	}
	a = w.f.send(t, "GET", np, nil)
	a.want(t, "notice after the deadline moved", http.StatusOK, "state", "approved")
	if !decodeNotice(t, a).Stale {
		t.Error("the approved notice is not stale after its deadline moved")
	}

	a = cole.send(t, "POST", draftPath, replace)
	a.want(t, "redraft", http.StatusOK, "state", "draft")
	re := decodeNotice(t, a)
	if re.Stale || a.body["approved_by"] != nil {
		t.Errorf("redrafted notice: stale %t, approved_by %v; want neither", re.Stale,
			a.body["approved_by"])
	}
	if re.ID != n.ID || re.Version != n.Version+2 || len(re.Missing) == 0 ||
		!strings.Contains(re.Body, "[to be completed: ") {
		t.Errorf("redrafted notice: id %d version %d missing %v, want id %d version %d "+
			"with the draft's placeholders back", re.ID, re.Version, re.Missing, n.ID,
			n.Version+2)
	}
	if v := w.obligations(t, path)[key]; v.State != "drafted" {
		t.Errorf("obligation after the redraft: %s, want drafted", v.State)
	}
	if got := w.f.auditCount(t, audit.NoticeDrafted); got != 2 {
		t.Errorf("%d notice.drafted entries, want 2 (draft, redraft)", got)
	}

	re = completeNotice(t, lena, np, re)
	lena.send(t, "POST", np+"/approve", nil).want(t, "approve the redraft", http.StatusOK)
	cole.send(t, "POST", np+"/send", nil).want(t, "send", http.StatusOK)
	a = cole.send(t, "POST", draftPath, replace)
	a.want(t, "redraft a sent notice", http.StatusConflict)
	if msg, _ := a.body["error"].(string); !strings.Contains(msg, "was sent already") {
		t.Errorf("redraft of a sent notice: %q, want it to say it was sent", msg)
	}
}

// TestNoticeUndelivered: a notice's e-mail that dies shows undelivered on
// the notice and warns the communications users by e-mail once, however
// often the delivery dies again.
func TestNoticeUndelivered(t *testing.T) {
	t.Parallel()
	w := newNoticeWorld(t, utc(t, "2026-11-19T18:30:00Z"))
	lena := w.f.signIn(t, "lena", "legal")
	cole := w.f.signIn(t, "cole", "communications")
	_, path := openScenarioIncident(t, w, utc(t, "2026-11-19T11:00:00Z"))
	w.f.send(t, "POST", path+"/facts", map[string]any{"name": "awareness", "truth": "yes",
		"at": "2026-11-19T12:00:00Z"}).want(t, "awareness", http.StatusOK)
	key := "gdpr-art33-2/notification@klinik-nord"
	a := cole.send(t, "POST", path+"/obligations/"+keyPath(key)+"/draft", nil)
	a.want(t, "draft", http.StatusCreated)
	n := decodeNotice(t, a)
	np := path + "/notices/" + itoa(n.ID)
	completeNotice(t, lena, np, n)
	lena.send(t, "POST", np+"/approve", nil).want(t, "approve", http.StatusOK)
	a = cole.send(t, "POST", np+"/send", nil)
	a.want(t, "send", http.StatusOK)
	if a.body["undelivered"] != false {
		t.Errorf("a notice just sent: undelivered %v, want false", a.body["undelivered"])
	}
	if _, ok := a.body["warnings"]; ok {
		t.Errorf("a notice with an e-mail contact warns: %v", a.body["warnings"])
	}

	// A worker without an e-mail sender, one attempt each: the e-mail dies.
	st := w.f.st
	dying, err := notify.NewWorker(notify.WorkerConfig{Outbox: st,
		Senders: map[notify.Channel]notify.Sender{}, Retry: notify.Retry{MaxAttempts: 1},
		Tx: store.View[notify.Tx]{Store: st}, Observer: w.notices.Observer(),
		Now: w.outboxNow})
	if err != nil {
		t.Fatal(err)
	}
	mailID := int64(0)
	for round := range 2 {
		if got, err := dying.RunOnce(t.Context()); err != nil || got != 1 {
			t.Fatalf("round %d: the dying worker attempted %d (%v), want the notice", round,
				got, err)
		}
		a = w.f.send(t, "GET", np, nil)
		a.want(t, "notice after its e-mail died", http.StatusOK)
		if a.body["undelivered"] != true {
			t.Errorf("round %d: undelivered %v, want true", round, a.body["undelivered"])
		}
		got := decodeNotice(t, a)
		for _, d := range got.Deliveries {
			if d.Channel == "email" && d.State != "dead" {
				t.Errorf("e-mail delivery %s, want dead", d.State)
			}
		}
		skip := len(w.smtp.Messages())
		w.deliver(t)
		want := []string(nil)
		if round == 0 {
			want = []string{"cole@example.com | Notice " + itoa(n.ID) +
				" to tenant klinik-nord was not delivered"}
		}
		if got := w.mails(skip); !slices.Equal(got, want) {
			t.Errorf("round %d: mails %q, want %q", round, got, want)
		}
		if mailID == 0 {
			stored, err := st.GetNotice(t.Context(), n.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range stored.Deliveries {
				if d.Channel == "email" {
					mailID = d.NotificationID
				}
			}
		}
		// Retried by hand, it dies again: no second warning.
		w.f.send(t, "POST", "/api/v1/notifications/"+itoa(mailID)+"/retry", nil).
			want(t, "retry", http.StatusOK)
	}
}
