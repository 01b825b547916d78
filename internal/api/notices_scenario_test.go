package api_test

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/notice"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/notify/smtptest"
	"github.com/vigilsec/vigil/internal/obligation"
	"github.com/vigilsec/vigil/internal/plan"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
)

// scenarioInventory has three regions and four services; farm pay-1 in
// Frankfurt serves five tenants under different laws, the other farms
// serve tenants that the incident must not reach.
const scenarioInventory = `
tenants:
  - id: klinik-nord
    name: Klinik Nord GmbH
    profile: {jurisdictions: [DE], data_categories: [personal, health]}
    contacts:
      - {name: Dana Vogel, email: dpo@klinik-nord.example, preferred_channel: email,
         last_verified: 2026-10-01}
  - id: banque-lumiere
    name: Banque Lumière SA
    profile: {jurisdictions: [FR], roles: [dora-financial-entity],
              data_categories: [personal, financial]}
    contacts:
      - {name: Luc Martin, email: securite@banque-lumiere.example, preferred_channel: email,
         last_verified: 2026-10-01}
  - id: wallstreet
    name: Wallstreet Holdings Inc.
    profile: {jurisdictions: [US], roles: [sec-registrant], data_categories: [financial]}
    contacts:
      - {name: Sam Reed, email: ciso@wallstreet.example, preferred_channel: email,
         last_verified: 2026-10-01}
  - id: varejo
    name: Varejo Paulista Ltda.
    profile: {jurisdictions: [BR], data_categories: [personal]}
    contacts:
      - {name: Bia Souza, email: dpo@varejo.example, preferred_channel: email,
         last_verified: 2026-10-01}
  - id: sunshine
    name: Sunshine Apps LLC
    profile: {jurisdictions: [US-CA], data_categories: [personal]}
    contacts:
      - {name: Kim Lee, email: security@sunshine.example, preferred_channel: email,
         last_verified: 2026-10-01}
  - id: nordic
    name: Nordic Shop AB
    profile: {jurisdictions: [SE], data_categories: [personal]}
    contacts:
      - {name: Ola Berg, email: it@nordic.example, preferred_channel: email}
  - id: tokyo
    name: Tokyo Trading KK
    profile: {jurisdictions: [JP], data_categories: [personal]}
services:
  - {id: payments, name: Payment processing}
  - {id: storage, name: Object storage}
  - {id: compute, name: Virtual machines}
  - {id: mail, name: Hosted mail}
regions:
  - id: eu-central
    name: EU Central
    datacenters:
      - id: fra2
        name: Frankfurt 2
        farms:
          - id: pay-1
            service: payments
            tenants: [klinik-nord, banque-lumiere, wallstreet, varejo, sunshine]
            servers:
              - {name: pay-1-01.fra2.example.net, addresses: [10.20.1.11]}
          - id: st-9
            service: storage
            tenants: [nordic]
  - id: us-west
    name: US West
    datacenters:
      - id: sfo1
        name: San Francisco 1
        farms:
          - {id: vm-5, service: compute, tenants: [sunshine, nordic]}
  - id: ap-east
    name: Asia Pacific East
    datacenters:
      - id: tyo1
        name: Tokyo 1
        farms:
          - {id: mx-7, service: mail, tenants: [tokyo]}
`

// clock is a settable clock shared by the services of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// noticeWorld is a server with obligations and notices, an SMTP peer and
// the outbox worker that delivers to it.
type noticeWorld struct {
	f       *fixture
	clk     *clock
	smtp    *smtptest.Server
	worker  *notify.Worker
	watcher *obligation.Watcher
	blobs   *evidence.FileBlobs
	notices *notice.Service
}

// newNoticeWorld starts the world with the scenario's inventory imported
// and the clock at now.
func newNoticeWorld(t *testing.T, now time.Time) *noticeWorld {
	t.Helper()
	w := &noticeWorld{clk: &clock{t: now}, smtp: smtptest.Start(t, smtptest.Config{})}
	var svc *obligation.Service
	var notices *notice.Service
	w.f = newFixture(t, func(cfg *api.Config) {
		cat, err := regulation.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		if svc, err = obligation.New(obligation.Config{Store: cfg.Store, Catalog: cat,
			Clock: w.clk.Now}); err != nil {
			t.Fatal(err)
		}
		if w.blobs, err = evidence.NewFileBlobs(filepath.Join(t.TempDir(),
			"evidence")); err != nil {
			t.Fatal(err)
		}
		if notices, err = notice.New(notice.Config{Store: cfg.Store, Catalog: cat,
			Obligations: svc, Blobs: w.blobs, Audit: audit.New(cfg.Store, w.clk.Now),
			Provider: "Example Cloud GmbH", Contact: "security@cloud.example, +49 69 555 0100",
			SuggestedActions: []string{"Rotate the API keys used with the payment service."},
			Now:              w.clk.Now}); err != nil {
			t.Fatal(err)
		}
		cfg.Obligations, cfg.Notices, w.notices = svc, notices, notices
		cfg.Scope.Now = w.clk.Now
	})
	status, _, body := w.f.do(t, "PUT", "/api/v1/inventory", strings.NewReader(scenarioInventory),
		"Content-Type", "application/yaml")
	if status != http.StatusOK {
		t.Fatalf("import the inventory: %d %s", status, body)
	}
	mail, err := notify.NewEmail(notify.SMTPConfig{Host: w.smtp.Host(), Port: w.smtp.Port(),
		From: "Example Cloud <notices@cloud.example>"})
	if err != nil {
		t.Fatal(err)
	}
	st := w.f.st
	if w.worker, err = notify.NewWorker(notify.WorkerConfig{Outbox: st,
		Senders: map[notify.Channel]notify.Sender{notify.ChannelEmail: mail},
		Audit:   audit.New(st, w.clk.Now), Tx: store.View[notify.Tx]{Store: st},
		Observer: notices.Observer(), Now: w.outboxNow}); err != nil {
		t.Fatal(err)
	}
	if w.watcher, err = obligation.NewWatcher(obligation.WatcherConfig{Service: svc,
		People: st, Notifier: notify.NewDispatcher(st, store.NotifyDirectory(st))}); err != nil {
		t.Fatal(err)
	}
	return w
}

// outboxNow is the outbox worker's clock: the scenario's, or the real one
// when later, since the watcher's alerts are queued at the store's clock.
func (w *noticeWorld) outboxNow() time.Time {
	if now := time.Now(); now.After(w.clk.Now()) {
		return now
	}
	return w.clk.Now()
}

// deliver runs the outbox worker until nothing is due.
func (w *noticeWorld) deliver(t *testing.T) {
	t.Helper()
	for range 10 {
		n, err := w.worker.RunOnce(t.Context())
		if err != nil {
			t.Fatalf("deliver: %v", err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("the outbox did not drain in 10 rounds")
}

// mails returns the messages the SMTP peer received since skip, as
// "recipient | subject", sorted.
func (w *noticeWorld) mails(skip int) []string {
	var out []string
	for _, m := range w.smtp.Messages()[skip:] {
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header().Get("Subject"))
		for _, to := range m.To {
			out = append(out, to+" | "+subject)
		}
	}
	slices.Sort(out)
	return out
}

// noticeJSON is the part of a NoticeView the scenario reads.
type noticeJSON struct {
	ID         int64    `json:"id"`
	Key        string   `json:"obligation_key"`
	Tenant     string   `json:"tenant"`
	TenantName string   `json:"tenant_name"`
	Party      string   `json:"party"`
	Lang       string   `json:"lang"`
	Missing    []string `json:"missing"`
	Subject    string   `json:"subject"`
	Body       string   `json:"body"`
	State      string   `json:"state"`
	Hash       string   `json:"content_hash"`
	Version    int64    `json:"version"`
	Stale      bool     `json:"stale"`
	Deliveries []struct {
		Channel    string    `json:"channel"`
		Recipient  string    `json:"recipient"`
		State      string    `json:"state"`
		MessageID  string    `json:"message_id"`
		Delivered  time.Time `json:"delivered_at"`
		Hash       string    `json:"content_hash"`
		EvidenceID int64     `json:"evidence_id"`
	} `json:"deliveries"`
}

// portalJSON is a PortalNotice.
type portalJSON struct {
	ID             int64      `json:"id"`
	IncidentRef    string     `json:"incident_ref"`
	Subject        string     `json:"subject"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	AcknowledgedBy string     `json:"acknowledged_by"`
	RegimeName     string     `json:"regime_name"`
	Deadline       *time.Time `json:"deadline"`
}

// openScenarioIncident opens the incident with a summary and a done task,
// scopes it to farm pay-1 and returns its API path.
func openScenarioIncident(t *testing.T, w *noticeWorld, opened time.Time) (int64, string) {
	t.Helper()
	ctx := context.Background()
	st := w.f.st
	inc := &incident.Incident{Title: "Card data exfiltration on the payment farm",
		Severity: incident.SeverityCrit, Status: incident.StatusOpen,
		Phase: incident.PhaseDetected, Opened: opened}
	if err := st.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	err := st.Atomically(ctx, func(tx store.Tx) error {
		rec, err := st.GetIncidentRecord(ctx, inc.ID)
		if err != nil {
			return err
		}
		rec.Record.Summary = "An attacker used a stolen operator key to read payment " +
			"records on farm pay-1 between 09:10 and 11:40 UTC."
		if err := tx.UpdateIncidentRecord(ctx, rec); err != nil {
			return err
		}
		return tx.CreateTask(ctx, &plan.Task{IncidentID: inc.ID,
			Phase: incident.PhaseContainment, Kind: plan.KindTask,
			Title: "Revoked the stolen operator key", Status: plan.StatusDone,
			CreatedBy: "user:ana"})
	})
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/incidents/" + itoa(inc.ID)
	w.f.send(t, "PUT", path+"/scope", map[string]any{"farms": []string{"pay-1"}}).
		want(t, "scope to farm pay-1", http.StatusOK)
	return inc.ID, path
}

// keyPath is the escaped path segment of an obligation key.
func keyPath(key string) string { return url.PathEscape(key) }

// utc parses an RFC 3339 time.
func utc(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// obligations reads the incident's obligations by key.
func (w *noticeWorld) obligations(t *testing.T, path string) map[string]obligation.View {
	t.Helper()
	var list obligationsAnswer
	w.f.getJSON(t, path+"/obligations", &list)
	return byKey(list.Items)
}

// TestNoticeScenario is issue #4's "done when": an inventory of three
// regions and four services with tenants under different laws; an incident
// scoped to one farm resolves to the five tenants it serves; facts give the
// obligations and deadlines of a hand-written table (LGPD's three business
// days across a holiday and a weekend, SEC's four across a weekend and
// Thanksgiving, DORA's clock from classification); the tenant notices are
// drafted, approved by legal and sent by communications; the SMTP peer
// receives exactly the expected messages; each tenant-admin sees only its
// own notice in the portal and acknowledges it; an obligation left unsent
// past its deadline turns overdue and escalates to the executive and legal.
func TestNoticeScenario(t *testing.T) {
	t.Parallel()
	awareness := utc(t, "2026-11-19T12:00:00Z") // a Thursday
	w := newNoticeWorld(t, awareness.Add(6*time.Hour+30*time.Minute))
	lena := w.f.signIn(t, "lena", "legal")
	cole := w.f.signIn(t, "cole", "communications")
	w.f.signIn(t, "eve", "executive")
	id, path := openScenarioIncident(t, w, awareness.Add(-time.Hour))

	// The scope of one farm resolves to its five tenants, not the others.
	var affected struct {
		Items []store.AffectedTenant `json:"items"`
	}
	w.f.getJSON(t, path+"/affected-tenants", &affected)
	var tenants []string
	for _, a := range affected.Items {
		tenants = append(tenants, a.Tenant)
	}
	if want := []string{"banque-lumiere", "klinik-nord", "sunshine", "varejo",
		"wallstreet"}; !slices.Equal(tenants, want) {
		t.Fatalf("affected tenants %v, want %v", tenants, want)
	}

	// The facts known on the first evening.
	for _, fact := range []map[string]any{
		{"name": "awareness", "truth": "yes", "at": "2026-11-19T12:00:00Z"},
		{"name": "personal_data", "truth": "yes", "at": "2026-11-19T13:00:00Z"},
		{"name": "risk_to_individuals", "truth": "yes", "at": "2026-11-19T13:00:00Z"},
		{"name": "classification", "truth": "yes", "at": "2026-11-19T18:00:00Z",
			"tenant": "banque-lumiere"},
	} {
		w.f.send(t, "POST", path+"/facts", fact).want(t, "record "+fact["name"].(string),
			http.StatusOK)
	}
	checkObligations(t, w.obligations(t, path), []wantObligation{
		// DORA's clock starts at the tenant's classification (18:00 + 4 h),
		// before the 24-hour cap from awareness; the later stages follow the
		// initial one's deadline until it is sent.
		{"dora-art19/initial@banque-lumiere", "due", "2026-11-19T22:00:00Z"},
		{"dora-art19/intermediate@banque-lumiere", "due", "2026-11-22T22:00:00Z"},
		{"dora-art19/final@banque-lumiere", "due", "2026-12-22T22:00:00Z"},
		// GDPR: the processor tells each controller tenant without undue
		// delay (24-hour target); the authority and data subjects stay
		// possible while it is unknown whether the provider is a controller.
		{"gdpr-art33-2/notification@banque-lumiere", "possible", "2026-11-20T12:00:00Z"},
		{"gdpr-art33-2/notification@klinik-nord", "possible", "2026-11-20T12:00:00Z"},
		{"gdpr-art33/notification", "possible", "2026-11-22T12:00:00Z"},
		{"gdpr-art34/communication", "possible", "2026-11-22T12:00:00Z"},
		// LGPD: three business days from Thursday 13:00 UTC; Friday 20 is a
		// national holiday (Consciência Negra), then the weekend: Monday,
		// Tuesday, Wednesday, to the end of Wednesday in São Paulo.
		{"lgpd/anpd@varejo", "due", "2026-11-26T02:59:59Z"},
		{"lgpd/data-subjects@varejo", "due", "2026-11-26T02:59:59Z"},
		// The SEC filing waits for the materiality determination.
		{"sec-8k-105/filing@wallstreet", "clock-not-started", ""},
		// California: the service provider tells the owner at once (24-hour
		// target); the owner tells residents within 30 days and the Attorney
		// General within 45.
		{"us-ca-1798-82-service/notification@sunshine", "possible", "2026-11-20T12:00:00Z"},
		{"us-ca-1798-82-owner/residents@sunshine", "possible", "2026-12-19T12:00:00Z"},
		{"us-ca-1798-82-owner/attorney-general@sunshine", "possible", "2027-01-03T12:00:00Z"},
	})
	dora := w.obligations(t, path)["dora-art19/initial@banque-lumiere"]
	if dora.Clock != "classification" || dora.ClockStart == nil ||
		!dora.ClockStart.Equal(utc(t, "2026-11-19T18:00:00Z")) {
		t.Errorf("DORA initial: clock %q from %v, want classification at 18:00", dora.Clock,
			dora.ClockStart)
	}

	// Legal approves and communications sends the three tenant notices.
	w.clk.Set(awareness.Add(7 * time.Hour))
	tenantKeys := []string{"gdpr-art33-2/notification@banque-lumiere",
		"gdpr-art33-2/notification@klinik-nord", "us-ca-1798-82-service/notification@sunshine"}
	sent := map[string]noticeJSON{}
	for _, key := range tenantKeys {
		n := draftApproveSend(t, w, lena, cole, path, key, "")
		sent[n.Tenant] = n
	}
	if sent["klinik-nord"].Lang != "de" || sent["banque-lumiere"].Lang != "en" {
		t.Errorf("languages: klinik-nord %q, banque-lumiere %q; want de (Germany), en",
			sent["klinik-nord"].Lang, sent["banque-lumiere"].Lang)
	}
	// The authority's notice is filed by hand, with its reference.
	draftApproveSend(t, w, lena, cole, path, "gdpr-art33/notification", "BfDI 2026-4711")

	// The SMTP peer receives exactly one message per designated contact.
	w.deliver(t)
	want := []string{
		"dpo@klinik-nord.example | " + sent["klinik-nord"].Subject,
		"security@sunshine.example | " + sent["sunshine"].Subject,
		"securite@banque-lumiere.example | " + sent["banque-lumiere"].Subject,
	}
	slices.Sort(want)
	if got := w.mails(0); !slices.Equal(got, want) {
		t.Fatalf("SMTP received:\n%s\nwant:\n%s", strings.Join(got, "\n"),
			strings.Join(want, "\n"))
	}
	checkProof(t, w, path, sent["klinik-nord"].ID)

	// Each tenant-admin sees only its own notice and acknowledges it.
	checkPortal(t, w, sent)

	// The SEC filing's clock starts at the materiality determination, on
	// Friday: four business days skip the weekend and Thanksgiving (26th).
	w.clk.Set(utc(t, "2026-11-20T16:00:00Z"))
	w.f.send(t, "POST", path+"/facts", map[string]any{"name": "materiality", "truth": "yes",
		"at": "2026-11-20T15:00:00Z", "tenant": "wallstreet"}).want(t, "record materiality",
		http.StatusOK)
	checkObligations(t, w.obligations(t, path), []wantObligation{
		{"sec-8k-105/filing@wallstreet", "due", "2026-11-27T22:30:00Z"},
	})

	// Left unsent past its deadline, LGPD's notice to the ANPD turns
	// overdue and escalates to the executive and legal; no tenant is told.
	w.clk.Set(utc(t, "2026-11-26T03:00:00Z"))
	before := len(w.smtp.Messages())
	if _, err := w.watcher.Tick(t.Context()); err != nil {
		t.Fatalf("watcher: %v", err)
	}
	w.deliver(t)
	anpd := w.obligations(t, path)["lgpd/anpd@varejo"]
	if !anpd.Overdue || anpd.OverdueSince == nil ||
		!anpd.OverdueSince.Equal(utc(t, "2026-11-26T02:59:59Z")) {
		t.Errorf("lgpd/anpd@varejo: overdue %t since %v, want overdue since its deadline",
			anpd.Overdue, anpd.OverdueSince)
	}
	escalated := map[string]bool{}
	for _, m := range w.mails(before) {
		to, subject, _ := strings.Cut(m, " | ")
		if !strings.HasSuffix(to, "@example.com") {
			t.Errorf("after the deadline, %s was mailed %q: only staff are alerted", to, subject)
		}
		if strings.Contains(subject, "Brazil LGPD") && strings.Contains(subject,
			"Communication to the ANPD") {
			escalated[to] = true
		}
	}
	for _, who := range []string{"eve@example.com", "lena@example.com"} {
		if !escalated[who] {
			t.Errorf("no overdue alert of lgpd/anpd@varejo to %s; mails: %v", who,
				w.mails(before))
		}
	}
	for key, n := range sent {
		if v := w.obligations(t, path)[n.Key]; v.State != "acknowledged" || v.Overdue {
			t.Errorf("%s (%s): state %s, overdue %t; want acknowledged on time", key, n.Key,
				v.State, v.Overdue)
		}
	}
	_ = id
}

// wantObligation is a row of the hand-written table: key, status and the
// deadline in RFC 3339 ("" for none).
type wantObligation struct{ key, status, deadline string }

// checkObligations compares the obligations with the table; with more
// rows than got, the extra obligations are an error too.
func checkObligations(t *testing.T, got map[string]obligation.View, want []wantObligation) {
	t.Helper()
	for _, w := range want {
		v, ok := got[w.key]
		if !ok {
			t.Errorf("no obligation %s", w.key)
			continue
		}
		dl := ""
		if v.Deadline != nil {
			dl = v.Deadline.UTC().Format(time.RFC3339)
		}
		if v.Status != regulation.Status(w.status) || dl != w.deadline {
			t.Errorf("%s: %s by %q, want %s by %q", w.key, v.Status, dl, w.status, w.deadline)
		}
	}
	if len(want) > 1 && len(got) != len(want) {
		var keys []string
		for k := range got {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.Errorf("%d obligations %v, want the %d of the table", len(got), keys, len(want))
	}
}

// decodeNotice decodes a NoticeView answer.
func decodeNotice(t *testing.T, a answer) noticeJSON {
	t.Helper()
	var n noticeJSON
	if err := json.Unmarshal(a.raw, &n); err != nil {
		t.Fatalf("decode notice: %v", err)
	}
	return n
}

// completeNotice fills every placeholder of notice n at np ("to follow in
// a later notice", as GDPR Art. 33(4) allows) as sess and returns it.
func completeNotice(t *testing.T, sess *userSession, np string, n noticeJSON) noticeJSON {
	t.Helper()
	subject, body := n.Subject, n.Body
	for _, lang := range []string{"en", "de"} {
		for _, name := range n.Missing {
			for _, form := range []string{"[to be completed: %s]", "[noch zu ergänzen: %s]"} {
				ph := strings.Replace(form, "%s", regulation.ElementLabel(name, lang), 1)
				body = strings.ReplaceAll(body, ph, "To follow in a later notice.")
				subject = strings.ReplaceAll(subject, ph, "to follow")
			}
		}
	}
	a := sess.f.send(t, "PUT", np, map[string]any{"subject": subject, "body": body},
		"Authorization", "", "Cookie", sess.cookie, "X-CSRF-Token", sess.csrf,
		"If-Match", `"v`+itoa(n.Version)+`"`)
	a.want(t, "complete the notice", http.StatusOK)
	out := decodeNotice(t, a)
	if len(out.Missing) != 0 {
		t.Fatalf("notice %d still misses %v after completing it:\n%s", n.ID, out.Missing,
			out.Body)
	}
	return out
}

// draftApproveSend drafts the notice of key as communications, refuses to
// send it unapproved, has legal approve it and communications send it.
func draftApproveSend(t *testing.T, w *noticeWorld, legal, comms *userSession, path, key,
	reference string) noticeJSON {
	t.Helper()
	a := comms.send(t, "POST", path+"/obligations/"+keyPath(key)+"/draft", map[string]any{})
	a.want(t, "draft "+key, http.StatusCreated, "state", "draft")
	n := decodeNotice(t, a)
	np := path + "/notices/" + itoa(n.ID)
	comms.send(t, "POST", np+"/send", map[string]any{}).want(t, "send "+key+" unapproved",
		http.StatusConflict)
	if len(n.Missing) > 0 {
		a = legal.send(t, "POST", np+"/approve", nil)
		a.want(t, "approve "+key+" with placeholders", http.StatusConflict)
		msg, _ := a.body["error"].(string)
		label := regulation.ElementLabel(n.Missing[0], n.Lang)
		if !strings.Contains(msg, "still has elements to complete") ||
			!strings.Contains(msg, label) {
			t.Errorf("refusal to approve %s: %q, want it to name %q", key, msg, label)
		}
		n = completeNotice(t, legal, np, n)
	}
	legal.send(t, "POST", np+"/approve", nil).want(t, "approve "+key, http.StatusOK,
		"state", "approved", "approved_by", "user:"+legal.name)
	body := map[string]any{}
	if reference != "" {
		body["reference"] = reference
	}
	a = comms.send(t, "POST", np+"/send", body)
	a.want(t, "send "+key, http.StatusOK, "state", "sent", "sent_by", "user:"+comms.name)
	n = decodeNotice(t, a)
	a = comms.send(t, "POST", np+"/send", body)
	a.want(t, "send "+key+" again", http.StatusConflict)
	if msg, _ := a.body["error"].(string); !strings.Contains(msg,
		"notice "+itoa(n.ID)+" was sent already at ") {
		t.Errorf("second send of %s: %q, want it to say when it was sent", key, msg)
	}
	if n.Hash == "" || n.Hash != store.ContentHash(n.Subject, n.Body) {
		t.Errorf("%s: content hash %q, want the SHA-256 of subject and body", key, n.Hash)
	}
	return n
}

// checkProof reads a sent notice's deliveries: the e-mail was accepted with
// its Message-ID, the portal copy at sending, and each proof is evidence of
// the incident holding the same message ID and content hash.
func checkProof(t *testing.T, w *noticeWorld, path string, id int64) {
	t.Helper()
	var n noticeJSON
	w.f.getJSON(t, path+"/notices/"+itoa(id), &n)
	var channels []string
	for _, d := range n.Deliveries {
		channels = append(channels, d.Channel+":"+d.State)
		if d.Hash != n.Hash || d.EvidenceID == 0 || d.Delivered.IsZero() {
			t.Errorf("delivery %s: hash %q evidence %d delivered %v; want the notice's hash, "+
				"evidence and a time", d.Channel, d.Hash, d.EvidenceID, d.Delivered)
			continue
		}
		if d.Channel == "email" && !strings.HasPrefix(d.MessageID, "<vigil.") {
			t.Errorf("e-mail delivery: message ID %q, want the SMTP Message-ID", d.MessageID)
		}
		e, err := w.f.st.GetEvidence(t.Context(), d.EvidenceID)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := w.blobs.Open(e.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		var p notice.Proof
		err = json.NewDecoder(rc).Decode(&p)
		rc.Close()
		if err != nil || p.Kind != notice.ProofKind || p.MessageID != d.MessageID ||
			p.ContentHash != n.Hash || p.Recipient != d.Recipient || p.NoticeID != id {
			t.Errorf("proof of %s: %+v, %v; want its message ID, hash and recipient",
				d.Channel, p, err)
		}
	}
	if want := []string{"email:sent", "portal:sent"}; !slices.Equal(channels, want) {
		t.Errorf("deliveries %v, want %v", channels, want)
	}
	var mails int
	for _, m := range w.smtp.Messages() {
		if m.Header().Get("Message-Id") == n.Deliveries[0].MessageID {
			mails++
		}
	}
	if mails != 1 {
		t.Errorf("%d messages carry the delivery's Message-ID %s, want 1", mails,
			n.Deliveries[0].MessageID)
	}
}

// checkPortal has each tenant's administrator list the portal (its own
// notice only), fail to read or acknowledge another tenant's (404), and
// acknowledge its own (twice: the second changes nothing).
func checkPortal(t *testing.T, w *noticeWorld, sent map[string]noticeJSON) {
	t.Helper()
	tokens := map[string]string{}
	for _, tenant := range []string{"klinik-nord", "banque-lumiere", "sunshine", "varejo"} {
		tokens[tenant] = w.f.tokenOf(t, tenant+"-admin", "tenant-admin", tenant)
	}
	for tenant, tok := range tokens {
		var list struct {
			Items []portalJSON `json:"items"`
		}
		status, _, raw := w.f.do(t, "GET", "/api/v1/portal/notices", nil, bearer(tok)...)
		if status != http.StatusOK || json.Unmarshal(raw, &list) != nil {
			t.Fatalf("%s portal: %d %s", tenant, status, raw)
		}
		var ids []int64
		for _, p := range list.Items {
			ids = append(ids, p.ID)
			if p.IncidentRef == "" || p.RegimeName == "" || p.Deadline == nil {
				t.Errorf("%s portal notice %+v: want incident, regime and deadline", tenant, p)
			}
		}
		var want []int64
		if n, ok := sent[tenant]; ok {
			want = []int64{n.ID}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s portal lists %v, want %v", tenant, ids, want)
		}
		for other, n := range sent {
			if other == tenant {
				continue
			}
			p := "/api/v1/portal/notices/" + itoa(n.ID)
			if status, _, _ := w.f.do(t, "GET", p, nil, bearer(tok)...); status != 404 {
				t.Errorf("%s reads %s's notice: %d, want 404", tenant, other, status)
			}
			if status, _, _ := w.f.do(t, "POST", p+"/acknowledge", nil,
				bearer(tok)...); status != 404 {
				t.Errorf("%s acknowledges %s's notice: %d, want 404", tenant, other, status)
			}
		}
	}
	for tenant, n := range sent {
		p := "/api/v1/portal/notices/" + itoa(n.ID) + "/acknowledge"
		for range 2 {
			status, _, raw := w.f.do(t, "POST", p, nil, bearer(tokens[tenant])...)
			var v portalJSON
			if status != http.StatusOK || json.Unmarshal(raw, &v) != nil ||
				v.AcknowledgedBy != "token:"+tenant+"-admin" || v.AcknowledgedAt == nil {
				t.Errorf("%s acknowledges: %d %s", tenant, status, raw)
			}
		}
	}
	if got := w.f.auditCount(t, audit.NoticeAcknowledged); got != int64(len(sent)) {
		t.Errorf("%d notice.acknowledged entries, want %d", got, len(sent))
	}
	var staff struct {
		Items []portalJSON `json:"items"`
	}
	w.f.getJSON(t, "/api/v1/portal/notices", &staff)
	if len(staff.Items) != len(sent) {
		t.Errorf("staff portal lists %d notices, want the %d sent to tenants", len(staff.Items),
			len(sent))
	}
}
