package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store"
)

// maxWebhookBody caps a POST /api/v1/webhooks body.
const maxWebhookBody = 64 << 10

// listNotifications answers GET /api/v1/notifications: the outbox, newest
// first, each with its delivery log.
func (s *server) listNotifications(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "state", "channel", "incident", "limit", "cursor")
	f := store.NotificationFilter{
		State:      notify.State(q.str("state", strs(notify.States())...)),
		Channel:    notify.Channel(q.str("channel", strs(notify.Channels())...)),
		IncidentID: q.id("incident"),
		Limit:      q.limit(),
		Cursor:     q.str("cursor"),
	}
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	page, err := s.cfg.Store.ListNotifications(r.Context(), f)
	if err != nil {
		s.storeError(w, "list notifications", err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// retryNotification answers POST /api/v1/notifications/{id}/retry: a failed
// or dead notification is due again at once, with a new round of attempts;
// a pending or sent one answers 409.
func (s *server) retryNotification(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	closeUnread(w, r)
	var n *notify.Notification
	err := s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
		var err error
		if n, err = tx.RetryNotification(r.Context(), id, time.Now()); err != nil {
			return err
		}
		return s.recordResponse(r.Context(), tx, audit.NotificationRetried, "notification",
			strconv.FormatInt(id, 10), map[string]any{"key": n.Key, "channel": n.Channel,
				"recipient": n.Recipient, "last_error": n.LastError})
	})
	if errors.Is(err, store.ErrNotRetryable) {
		writeError(w, http.StatusConflict, "only a failed or dead notification can be retried")
		return
	} else if err != nil {
		s.storeError(w, "retry notification", err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

// webhookInput is the body of POST /api/v1/webhooks. An empty secret is
// generated (32 random bytes, hex).
type webhookInput struct {
	Name     string           `json:"name"`
	URL      string           `json:"url"`
	Secret   string           `json:"secret"`
	Triggers []notify.Trigger `json:"triggers"`
}

// createdWebhook is the answer to POST /api/v1/webhooks: the only time the
// secret is shown.
type createdWebhook struct {
	notify.Webhook
	Secret string `json:"secret"`
}

// createWebhook answers POST /api/v1/webhooks.
func (s *server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in webhookInput
	if !decodeBody(w, r, maxWebhookBody, &in) {
		return
	}
	if msg := checkWebhook(&in); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	if err := notify.CheckTargetHost(hostOnly(in.URL)); err != nil &&
		!s.cfg.WebhookAllowPrivate {
		writeError(w, http.StatusBadRequest, "url: "+err.Error()+
			" (vigil serve --webhook-allow-private allows it)")
		return
	}
	if in.Secret == "" {
		b := make([]byte, 32)
		rand.Read(b)
		in.Secret = hex.EncodeToString(b)
	}
	h := notify.Webhook{Name: in.Name, URL: in.URL, Secret: notify.Secret(in.Secret),
		Triggers: in.Triggers, Created: time.Now(), CreatedBy: audit.ActorFrom(r.Context())}
	if h.Triggers == nil {
		h.Triggers = []notify.Trigger{}
	}
	err := s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
		if err := tx.CreateWebhook(r.Context(), &h); err != nil {
			return err
		}
		return s.recordResponse(r.Context(), tx, audit.WebhookCreated, "webhook",
			strconv.FormatInt(h.ID, 10), map[string]any{"name": h.Name, "host": hostOf(h.URL),
				"triggers": h.Triggers})
	})
	if errors.Is(err, store.ErrDuplicate) {
		writeError(w, http.StatusConflict, "a webhook named "+strconv.Quote(h.Name)+" exists")
		return
	} else if err != nil {
		s.internalError(w, "create webhook", err)
		return
	}
	writeJSON(w, http.StatusCreated, createdWebhook{Webhook: h, Secret: in.Secret})
}

// checkWebhook reports what is wrong with a webhook, "" when nothing.
func checkWebhook(in *webhookInput) string {
	u, err := url.Parse(in.URL)
	switch {
	case strings.TrimSpace(in.Name) == "" || len(in.Name) > 64:
		return "name: want 1 to 64 bytes"
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return "url: want an absolute http or https URL"
	case in.Secret != "" && len(in.Secret) < 16:
		return "secret: want at least 16 characters, or none to have one generated"
	}
	for _, t := range in.Triggers {
		if !slices.Contains(notify.Triggers(), t) {
			return "triggers: " + strconv.Quote(string(t)) + " is not one of " +
				strings.Join(strs(notify.Triggers()), ", ")
		}
	}
	return ""
}

// hostOf returns the host of a URL, for the audit trail: a URL's path or
// query may carry a token.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// hostOnly returns the host of a URL without its port.
func hostOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// listWebhooks answers GET /api/v1/webhooks, without secrets.
func (s *server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	hs, err := s.cfg.Store.ListWebhooks(r.Context())
	if err != nil {
		s.storeError(w, "list webhooks", err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Items []notify.Webhook `json:"items"`
	}{hs})
}

// deleteWebhook answers DELETE /api/v1/webhooks/{id}.
func (s *server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	closeUnread(w, r)
	err := s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
		if err := tx.DeleteWebhook(r.Context(), id); err != nil {
			return err
		}
		return s.recordResponse(r.Context(), tx, audit.WebhookDeleted, "webhook",
			strconv.FormatInt(id, 10), nil)
	})
	if err != nil {
		s.storeError(w, "delete webhook", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// notifyNotes enqueues the notifications of a saved incident change: a
// phase change of a severity 0–1 incident goes to executives and the
// engaged members. The change is stored already, so a failure is logged for
// an operator, not answered.
func (s *server) notifyNotes(r *http.Request, rec *store.IncidentRecord, notes []note) {
	d := notify.NewDispatcher(s.cfg.Store, store.NotifyDirectory(s.cfg.Store))
	ctx := r.Context()
	for _, n := range notes {
		var err error
		switch n.action {
		case audit.IncidentPhaseChanged:
			from, _ := n.details["from"].(incident.Phase)
			to, _ := n.details["to"].(incident.Phase)
			err = d.PhaseChanged(ctx, rec.ID, from, to, len(rec.Record.PhaseChanges),
				s.engagedMembers(r, rec.ID)...)
		}
		if err != nil {
			s.log.Error("enqueue notification", "err", err, "incident_id", rec.ID)
		}
	}
}

// notifyResponse enqueues the notifications of a recorded response change
// of an incident: an approval request goes to executives, a task created
// with an owner to the owner. A failure is logged, not answered.
func (s *server) notifyResponse(ctx context.Context, action audit.Action, objType,
	objID string, details map[string]any) {
	id, err := strconv.ParseInt(objID, 10, 64)
	if objType != "incident" || err != nil {
		return
	}
	d := notify.NewDispatcher(s.cfg.Store, store.NotifyDirectory(s.cfg.Store))
	switch action {
	case audit.ApprovalRequested:
		step, _ := details["step"].(string)
		err = d.ApprovalRequested(ctx, id, step, audit.ActorFrom(ctx))
	case audit.TaskCreated:
		if owner, _ := details["owner"].(string); owner != "" {
			err = d.Assigned(ctx, id, owner, fmt.Sprintf("task %v: %v", details["task"],
				details["title"]))
		}
	}
	if err != nil {
		s.log.Error("enqueue notification", "err", err, "incident_id", id)
	}
}

// engagedMembers returns the user names engaged on an incident now.
func (s *server) engagedMembers(r *http.Request, id int64) []string {
	es, err := s.cfg.Store.ListEngagements(r.Context(), id)
	if err != nil {
		s.log.Warn("list engagements for a notification", "err", err, "incident_id", id)
		return nil
	}
	var names []string
	for _, e := range es {
		if e.Active() && !slices.Contains(names, e.User) {
			names = append(names, e.User)
		}
	}
	return names
}

// strs converts a list of string-kinded values.
func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}
