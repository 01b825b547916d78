package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/regulation"
)

// obligationItem is an obligation as the API shows it (ObligationView of
// GET /api/v1/incidents/{id}/obligations).
type obligationItem struct {
	Key        string               `json:"key"`
	Regime     string               `json:"regime"`
	RegimeName string               `json:"regime_name"`
	Stage      string               `json:"stage"`
	StageName  string               `json:"stage_name"`
	Holder     string               `json:"holder"`
	Recipient  regulation.Recipient `json:"recipient"`
	Tenant     string               `json:"tenant"`
	TenantName string               `json:"tenant_name"`
	Status     string               `json:"status"`
	State      string               `json:"state"`
	Withdrawn  bool                 `json:"withdrawn"`
	// WithdrawnReason says why a recomputation no longer makes it.
	WithdrawnReason string             `json:"withdrawn_reason"`
	NotRequired     string             `json:"not_required_reason"`
	Deadline        time.Time          `json:"deadline"`
	Statutory       bool               `json:"statutory"`
	Target          time.Time          `json:"target"`
	Zone            string             `json:"zone"`
	ClockStart      time.Time          `json:"clock_start"`
	Provisional     bool               `json:"provisional"`
	Triggers        []string           `json:"triggers"`
	Unknown         []string           `json:"unknown"`
	Reason          string             `json:"reason"`
	Overdue         bool               `json:"overdue"`
	OverdueSince    time.Time          `json:"overdue_since"`
	SecondsLeft     *int64             `json:"seconds_left"`
	Explain         string             `json:"explain"`
	Exercise        bool               `json:"exercise"`
	History         []regulation.Event `json:"history"`
	Version         int64              `json:"version"`
	// TargetAt is the internal target inside a statutory limit; zero
	// when there is none or it is the deadline.
	TargetAt     time.Time `json:"target_at"`
	TargetMissed bool      `json:"target_missed"`
}

// Open reports whether the obligation still waits for its notice: not
// withdrawn, not sent, acknowledged or not required.
func (o obligationItem) Open() bool {
	switch o.State {
	case "sent", "acknowledged", "not-required":
		return false
	}
	return !o.Withdrawn
}

// Flagged reports whether the deadline watcher has marked the obligation
// overdue and no one has cleared the flag since: only then can it be
// cleared.
func (o obligationItem) Flagged() bool {
	flagged := false
	for _, ev := range o.History {
		switch ev.Action {
		case "overdue":
			flagged = true
		case "overdue-cleared":
			flagged = false
		}
	}
	return flagged
}

// Clearable reports whether the overdue flag may be cleared now: it is
// set, and the obligation is not still past its deadline unsent (a
// corrected fact moved the deadline, or the notice went out late).
func (o obligationItem) Clearable() bool {
	late := o.Open() && o.SecondsLeft != nil && *o.SecondsLeft < 0
	return o.Flagged() && !late
}

// Whom names the recipient: the tenant, or the party and authority.
func (o obligationItem) Whom() string {
	if o.Recipient.Authority != "" {
		return o.Recipient.Party + ": " + o.Recipient.Authority
	}
	return o.Recipient.Party
}

// factItem is a fact of the incident as the API lists it.
type factItem struct {
	Name       string           `json:"name"`
	Tenant     string           `json:"tenant"`
	Truth      string           `json:"truth"`
	At         time.Time        `json:"at"`
	Note       string           `json:"note"`
	Count      int64            `json:"count"`
	Residents  map[string]int64 `json:"residents"`
	RecordedAt time.Time        `json:"recorded_at"`
	By         string           `json:"by"`
}

// Value says what is known: the truth, or the count for a count fact.
func (f factItem) Value() string {
	switch {
	case regulation.KindOf(f.Name) == regulation.KindCount && f.Truth != "unknown":
		return strconv.FormatInt(f.Count, 10)
	case f.Truth == "":
		return "unknown"
	}
	return f.Truth
}

// deliveryItem is one delivery of a notice.
type deliveryItem struct {
	ID          int64     `json:"id"`
	Channel     string    `json:"channel"`
	Recipient   string    `json:"recipient"`
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error"`
	MessageID   string    `json:"message_id"`
	DeliveredAt time.Time `json:"delivered_at"`
	EvidenceID  int64     `json:"evidence_id"`
}

// noticeItem is a notice as the API shows it (NoticeView).
type noticeItem struct {
	ID             int64          `json:"id"`
	IncidentID     int64          `json:"incident_id"`
	ObligationKey  string         `json:"obligation_key"`
	Tenant         string         `json:"tenant"`
	TenantName     string         `json:"tenant_name"`
	Lang           string         `json:"lang"`
	Subject        string         `json:"subject"`
	Body           string         `json:"body"`
	Missing        []string       `json:"missing"`
	State          string         `json:"state"`
	Version        int64          `json:"version"`
	CreatedBy      string         `json:"created_by"`
	CreatedAt      time.Time      `json:"created_at"`
	ApprovedBy     string         `json:"approved_by"`
	ApprovedAt     time.Time      `json:"approved_at"`
	SentBy         string         `json:"sent_by"`
	SentAt         time.Time      `json:"sent_at"`
	ContentHash    string         `json:"content_hash"`
	Reference      string         `json:"reference"`
	Exercise       bool           `json:"exercise"`
	Deliveries     []deliveryItem `json:"deliveries"`
	AcknowledgedAt time.Time      `json:"acknowledged_at"`
	AcknowledgedBy string         `json:"acknowledged_by"`
	// Stale, Undelivered and Warnings are the API's (NoticeView).
	Stale       bool     `json:"stale"`
	Undelivered bool     `json:"undelivered"`
	Warnings    []string `json:"warnings"`
}

// dutySection is the "Obligations and notices" part of the incident page:
// the facts that decide the obligations, the obligations with their
// deadlines, and the notices with their deliveries.
type dutySection struct {
	NA          string // why the section is not shown, "" when it is
	NoticesNA   string // why the notices are not shown, "" when they are
	Facts       []factItem
	FactHistory []factItem
	FactNames   []string
	Obligations []obligationItem
	Notices     []noticeItem
	// Drafted maps an obligation key to the ID of its latest notice.
	Drafted map[string]int64
	// ByTenant sums up each affected tenant's obligations for the scope
	// section.
	ByTenant map[string]*tenantDuties
	// Overdue counts the open obligations past their deadline or flagged,
	// for the page's head.
	Overdue  int
	Exercise bool // the obligations are an exercise's: tenants are never notified
}

// tenantDuties sums up one tenant's obligations: how many are open, how
// many overdue, and the open one due first.
type tenantDuties struct {
	Open, Overdue int
	Next          *obligationItem
}

// tally fills ByTenant and Overdue from the obligations.
func (sec *dutySection) tally() {
	sec.ByTenant = map[string]*tenantDuties{}
	for i := range sec.Obligations {
		o := &sec.Obligations[i]
		if o.Open() && o.Overdue {
			sec.Overdue++
		}
		if o.Tenant == "" || !o.Open() {
			continue
		}
		td := sec.ByTenant[o.Tenant]
		if td == nil {
			td = &tenantDuties{}
			sec.ByTenant[o.Tenant] = td
		}
		td.Open++
		if o.Overdue {
			td.Overdue++
		}
		if o.SecondsLeft != nil && (td.Next == nil || *o.SecondsLeft < *td.Next.SecondsLeft) {
			td.Next = o
		}
	}
}

// loadDuties reads the incident's facts, obligations and notices. A role
// the API refuses them to (403), or a server that computes none (503),
// gets a note instead of the section.
func loadDuties(ctx context.Context, se *session, base string, d *incidentData) error {
	sec := &dutySection{FactNames: regulation.FactNames(), Drafted: map[string]int64{}}
	d.Duties = sec
	var facts struct {
		Current []factItem `json:"current"`
		History []factItem `json:"history"`
	}
	err := se.api.get(ctx, base+"/facts", &facts)
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		sec.NA = "Your role may not see the regulatory obligations of incidents."
		return nil
	case errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable:
		sec.NA = "This server computes no regulatory obligations."
		return nil
	case err != nil:
		return err
	}
	sec.Facts, sec.FactHistory = facts.Current, facts.History
	var obs struct {
		Items []obligationItem `json:"items"`
	}
	if err := se.api.get(ctx, base+"/obligations", &obs); err != nil {
		return err
	}
	sec.Obligations = obs.Items
	sec.tally()
	for _, o := range obs.Items {
		sec.Exercise = sec.Exercise || o.Exercise
	}
	var notices struct {
		Items []noticeItem `json:"items"`
	}
	err = se.api.get(ctx, base+"/notices", &notices)
	if errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable {
		sec.NoticesNA = "This server drafts and sends no notices."
		return nil
	}
	if err != nil {
		return err
	}
	sec.Notices = notices.Items
	for _, n := range notices.Items {
		if n.ID > sec.Drafted[n.ObligationKey] {
			sec.Drafted[n.ObligationKey] = n.ID
		}
	}
	return nil
}

// timeLeft writes seconds as "2d 03:04:05 left", or "overdue by …" when
// negative; countdown.js writes the same as it counts.
func timeLeft(secs int64) string {
	word := " left"
	if secs < 0 {
		secs = -secs
		word = ""
	}
	s := fmt.Sprintf("%02d:%02d:%02d", secs/3600%24, secs/60%60, secs%60)
	if days := secs / 86400; days > 0 {
		s = strconv.FormatInt(days, 10) + "d " + s
	}
	if word == "" {
		return "overdue by " + s
	}
	return s + word
}

// recordFact sends the facts form: a name, yes/no/unknown or a count, when
// it happened or became known, a note and optionally the tenant it is
// about.
func (s *server) recordFact(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "facts", func(ctx context.Context, base string) error {
		body := map[string]any{"name": form(r, "name"), "truth": form(r, "truth")}
		at, err := formTime(r, "at", "when")
		if err != nil {
			return err
		}
		if !at.IsZero() {
			body["at"] = at
		}
		for _, f := range []string{"note", "tenant"} {
			if v := form(r, f); v != "" {
				body[f] = v
			}
		}
		if v := form(r, "count"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return &apiError{Status: http.StatusUnprocessableEntity,
					Msg: fmt.Sprintf("count: %q is not a whole number of individuals", v)}
			}
			body["count"] = n
		}
		return se.post(ctx, base+"/facts", body)
	})
}

// obligationPath returns the API path of the obligation named by the
// form's key field under the incident base.
func obligationPath(r *http.Request, base string) (string, error) {
	key := form(r, "key")
	if key == "" {
		return "", &apiError{Status: http.StatusUnprocessableEntity,
			Msg: "key: the form names no obligation"}
	}
	return base + "/obligations/" + url.PathEscape(key), nil
}

// draftNotice drafts the notice of an obligation in the language chosen
// ("" for the tenant's own or English); with replace=yes it redrafts the
// obligation's unsent notice from the current record.
func (s *server) draftNotice(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "notices", func(ctx context.Context, base string) error {
		p, err := obligationPath(r, base)
		if err != nil {
			return err
		}
		body := map[string]any{}
		if lang := form(r, "lang"); lang != "" {
			body["lang"] = lang
		}
		if form(r, "replace") == "yes" {
			body["replace"] = true // the Redraft button of a stale notice
		}
		return se.post(ctx, p+"/draft", body)
	})
}

// obligationReason returns the page handler that posts {"reason"} to the
// obligation's action (not-required, reinstate, clear-overdue).
func (s *server) obligationReason(action string) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, se *session) {
		s.change(w, r, se, "obligations", func(ctx context.Context, base string) error {
			p, err := obligationPath(r, base)
			if err != nil {
				return err
			}
			return se.post(ctx, p+"/"+action, map[string]string{"reason": form(r, "reason")})
		})
	}
}

// noticePath returns the API path of the route's notice, or a 404.
func noticePath(r *http.Request, base string) (string, error) {
	nid, ok := pathInt(r, "nid")
	if !ok {
		return "", &apiError{Status: http.StatusNotFound, Msg: "not found"}
	}
	return base + "/notices/" + nid, nil
}

// editNotice saves the subject and body of a notice at the version the
// form was made from (a newer one is the API's 412).
func (s *server) editNotice(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "notice-"+r.PathValue("nid"), func(ctx context.Context,
		base string) error {
		p, err := noticePath(r, base)
		if err != nil {
			return err
		}
		// A browser sends a textarea with CRLF line ends; notices keep LF.
		body := strings.ReplaceAll(r.PostForm.Get("body"), "\r\n", "\n")
		_, err = se.api.send(ctx, http.MethodPut, p, map[string]string{
			"subject": form(r, "subject"), "body": body},
			map[string]string{"If-Match": `"v` + form(r, "version") + `"`})
		return err
	})
}

// approveNotice approves a notice (legal).
func (s *server) approveNotice(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "notice-"+r.PathValue("nid"), func(ctx context.Context,
		base string) error {
		p, err := noticePath(r, base)
		if err != nil {
			return err
		}
		return se.post(ctx, p+"/approve", map[string]string{})
	})
}

// sendNotice sends an approved notice; reference is what a notice filed
// by hand (with an authority) was filed as.
func (s *server) sendNotice(w http.ResponseWriter, r *http.Request, se *session) {
	s.change(w, r, se, "notice-"+r.PathValue("nid"), func(ctx context.Context,
		base string) error {
		p, err := noticePath(r, base)
		if err != nil {
			return err
		}
		body := map[string]string{}
		if ref := form(r, "reference"); ref != "" {
			body["reference"] = ref
		}
		return se.post(ctx, p+"/send", body)
	})
}
