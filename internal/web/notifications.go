package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store"
)

// notificationPage is how many notifications the page reads at a time.
const notificationPage = 100

// notificationsData is the data of the notifications page.
type notificationsData struct {
	Items          []notify.Notification
	Total          int64
	Next           string
	State, Channel string
	States         []notify.State
	Channels       []notify.Channel
	CanRetry       bool
	Hooks          []webhookView
	ShowHooks      bool
	Error          string
}

func (notificationsData) pageTitle() string { return "Notifications" }

// Retryable reports whether n may be retried by hand: it failed for good
// (dead) or for now (failed).
func (notificationsData) Retryable(n notify.Notification) bool {
	return n.State == notify.StateFailed || n.State == notify.StateDead
}

// webhookView is a webhook as the page shows it: its URL's host only,
// since a URL's path or query may carry a token.
type webhookView struct {
	ID        int64
	Name      string
	Host      string
	Triggers  []notify.Trigger
	Created   time.Time
	CreatedBy string
}

// notificationList shows the outbox of notifications to people, newest
// first, each with its delivery log, filtered by state and channel; for
// admins, the webhooks too.
func (s *server) notificationList(w http.ResponseWriter, r *http.Request, se *session) {
	s.showNotifications(w, r, se, http.StatusOK, "")
}

func (s *server) showNotifications(w http.ResponseWriter, r *http.Request, se *session,
	status int, msg string) {
	q := r.URL.Query()
	d := notificationsData{State: q.Get("state"), Channel: q.Get("channel"),
		States: notify.States(), Channels: notify.Channels(), Error: msg,
		CanRetry:  can(se.Principal, "POST /notifications/{id}/retry"),
		ShowHooks: se.Principal.HasAnyRole(webhookReaders...)}
	v := url.Values{"limit": {strconv.Itoa(notificationPage)}}
	if slices.Contains(d.States, notify.State(d.State)) {
		v.Set("state", d.State)
	}
	if slices.Contains(d.Channels, notify.Channel(d.Channel)) {
		v.Set("channel", d.Channel)
	}
	if c := q.Get("cursor"); c != "" {
		v.Set("cursor", c)
	}
	var page store.Page[notify.Notification]
	if err := se.api.get(r.Context(), "/api/v1/notifications?"+v.Encode(), &page); err != nil {
		s.fail(w, r, se, err)
		return
	}
	d.Items, d.Total, d.Next = page.Items, page.Total, page.Next
	if d.ShowHooks {
		var hooks struct {
			Items []notify.Webhook `json:"items"`
		}
		if err := se.api.get(r.Context(), "/api/v1/webhooks", &hooks); err != nil {
			s.fail(w, r, se, err)
			return
		}
		for _, h := range hooks.Items {
			u, _ := url.Parse(h.URL)
			wv := webhookView{ID: h.ID, Name: h.Name, Triggers: h.Triggers,
				Created: h.Created, CreatedBy: h.CreatedBy}
			if u != nil {
				wv.Host = u.Host
			}
			d.Hooks = append(d.Hooks, wv)
		}
	}
	s.render(w, r, status, "notifications", se, d)
}

// retryNotification makes a failed or dead notification due again at once;
// another state is refused with the API's message.
func (s *server) retryNotification(w http.ResponseWriter, r *http.Request, se *session) {
	id, ok := pathInt(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := se.post(r.Context(), "/api/v1/notifications/"+id+"/retry", nil)
	ae, isAPI := err.(*apiError)
	switch {
	case err == nil:
		http.Redirect(w, r, "/notifications#notification-"+id, http.StatusSeeOther)
	case isAPI && ae.Status != http.StatusNotFound && ae.Status != http.StatusForbidden &&
		ae.Status < 500:
		s.showNotifications(w, r, se, ae.Status, ae.Msg)
	default:
		s.fail(w, r, se, err)
	}
}
