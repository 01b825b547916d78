package store

import (
	"context"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/plan"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/team"
)

// guard is the Tx that RunTx hands to fn: it forwards to the back end's Tx
// and keeps the first error of a write, which spoils the transaction.
type guard struct {
	tx  Tx
	err error
}

var _ Tx = (*guard)(nil)

// check keeps err when it is the first; it returns err.
func (g *guard) check(err error) error {
	if err != nil && g.err == nil {
		g.err = err
	}
	return err
}

func (g *guard) AppendAudit(ctx context.Context, e *audit.Entry) error {
	return g.check(g.tx.AppendAudit(ctx, e))
}

func (g *guard) InsertAlert(ctx context.Context, a *detect.Alert) error {
	return g.check(g.tx.InsertAlert(ctx, a))
}

func (g *guard) CreateIncident(ctx context.Context, inc *incident.Incident) error {
	return g.check(g.tx.CreateIncident(ctx, inc))
}

func (g *guard) UpdateIncidentRecord(ctx context.Context, rec *IncidentRecord) error {
	return g.check(g.tx.UpdateIncidentRecord(ctx, rec))
}

func (g *guard) CreateToken(ctx context.Context, t Token) error {
	return g.check(g.tx.CreateToken(ctx, t))
}

func (g *guard) TokenByHash(ctx context.Context, hash []byte) (*Token, error) {
	t, err := g.tx.TokenByHash(ctx, hash)
	return t, g.check(err)
}

func (g *guard) RevokeToken(ctx context.Context, id int64) error {
	return g.check(g.tx.RevokeToken(ctx, id))
}

func (g *guard) CreateUser(ctx context.Context, u *User) error {
	return g.check(g.tx.CreateUser(ctx, u))
}

func (g *guard) UpdateUser(ctx context.Context, u *User) error {
	return g.check(g.tx.UpdateUser(ctx, u))
}

func (g *guard) CreateSession(ctx context.Context, s Session) error {
	return g.check(g.tx.CreateSession(ctx, s))
}

func (g *guard) DeleteSession(ctx context.Context, id []byte) error {
	return g.check(g.tx.DeleteSession(ctx, id))
}

func (g *guard) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	v, err := g.tx.DeleteUserSessions(ctx, userID)
	return v, g.check(err)
}

func (g *guard) AddEvidence(ctx context.Context, e *evidence.Evidence,
	first *evidence.Custody) error {
	return g.check(g.tx.AddEvidence(ctx, e, first))
}

func (g *guard) AppendCustody(ctx context.Context, c *evidence.Custody) error {
	return g.check(g.tx.AppendCustody(ctx, c))
}

func (g *guard) GroupAlert(ctx context.Context, a *detect.Alert, window time.Duration) (bool,
	error) {
	repeat, err := g.tx.GroupAlert(ctx, a, window)
	return repeat, g.check(err)
}

func (g *guard) SetAlertTriage(ctx context.Context, id int64, from string, c AlertTriage) error {
	return g.check(g.tx.SetAlertTriage(ctx, id, from, c))
}

func (g *guard) LinkAlerts(ctx context.Context, incidentID int64, alertIDs []int64) error {
	return g.check(g.tx.LinkAlerts(ctx, incidentID, alertIDs))
}

func (g *guard) UnlinkAlert(ctx context.Context, incidentID, alertID int64) error {
	return g.check(g.tx.UnlinkAlert(ctx, incidentID, alertID))
}

func (g *guard) AlertIncidents(ctx context.Context, alertID int64) ([]int64, error) {
	v, err := g.tx.AlertIncidents(ctx, alertID)
	return v, g.check(err)
}

func (g *guard) CreateSuppression(ctx context.Context, s *Suppression) error {
	return g.check(g.tx.CreateSuppression(ctx, s))
}

func (g *guard) DeleteSuppression(ctx context.Context, id int64) error {
	return g.check(g.tx.DeleteSuppression(ctx, id))
}

func (g *guard) CreateCase(ctx context.Context, c *Case) error {
	return g.check(g.tx.CreateCase(ctx, c))
}

func (g *guard) UpdateCase(ctx context.Context, c *Case) error {
	return g.check(g.tx.UpdateCase(ctx, c))
}

func (g *guard) CreateVulnerability(ctx context.Context, v *Vulnerability) error {
	return g.check(g.tx.CreateVulnerability(ctx, v))
}

func (g *guard) UpdateVulnerability(ctx context.Context, v *Vulnerability) error {
	return g.check(g.tx.UpdateVulnerability(ctx, v))
}

func (g *guard) CreateTeam(ctx context.Context, t *team.Team) error {
	return g.check(g.tx.CreateTeam(ctx, t))
}

func (g *guard) UpdateTeam(ctx context.Context, t *team.Team) error {
	return g.check(g.tx.UpdateTeam(ctx, t))
}

func (g *guard) AddEngagements(ctx context.Context, es []team.Engagement) error {
	return g.check(g.tx.AddEngagements(ctx, es))
}

func (g *guard) EndEngagement(ctx context.Context, e *team.Engagement) error {
	return g.check(g.tx.EndEngagement(ctx, e))
}

func (g *guard) CreateTask(ctx context.Context, t *plan.Task) error {
	return g.check(g.tx.CreateTask(ctx, t))
}

func (g *guard) UpdateTask(ctx context.Context, t *plan.Task) error {
	return g.check(g.tx.UpdateTask(ctx, t))
}

func (g *guard) AddWatchRule(ctx context.Context, w *plan.WatchRule) error {
	return g.check(g.tx.AddWatchRule(ctx, w))
}

func (g *guard) RemoveWatchRule(ctx context.Context, w *plan.WatchRule) error {
	return g.check(g.tx.RemoveWatchRule(ctx, w))
}

func (g *guard) RecordAttempt(ctx context.Context, id int64, d notify.Delivery,
	state notify.State, attempts int, next time.Time) error {
	return g.check(g.tx.RecordAttempt(ctx, id, d, state, attempts, next))
}

func (g *guard) RetryNotification(ctx context.Context, id int64, now time.Time) (
	*notify.Notification, error) {
	v, err := g.tx.RetryNotification(ctx, id, now)
	return v, g.check(err)
}

func (g *guard) CreateWebhook(ctx context.Context, h *notify.Webhook) error {
	return g.check(g.tx.CreateWebhook(ctx, h))
}

func (g *guard) DeleteWebhook(ctx context.Context, id int64) error {
	return g.check(g.tx.DeleteWebhook(ctx, id))
}

func (g *guard) ChangeInventory(ctx context.Context, c InventoryChange) (int64, error) {
	rev, err := g.tx.ChangeInventory(ctx, c)
	return rev, g.check(err)
}

func (g *guard) CreateTenant(ctx context.Context, t *scope.Tenant) error {
	return g.check(g.tx.CreateTenant(ctx, t))
}

func (g *guard) UpdateTenant(ctx context.Context, t *scope.Tenant) error {
	return g.check(g.tx.UpdateTenant(ctx, t))
}

func (g *guard) DeleteTenant(ctx context.Context, id string) error {
	return g.check(g.tx.DeleteTenant(ctx, id))
}

func (g *guard) TenantExists(ctx context.Context, id string) (bool, error) {
	ok, err := g.tx.TenantExists(ctx, id)
	return ok, g.check(err)
}

func (g *guard) AddContact(ctx context.Context, c *scope.Contact) error {
	return g.check(g.tx.AddContact(ctx, c))
}

func (g *guard) UpdateContact(ctx context.Context, c *scope.Contact) error {
	return g.check(g.tx.UpdateContact(ctx, c))
}

func (g *guard) DeleteContact(ctx context.Context, tenant string, id int64) error {
	return g.check(g.tx.DeleteContact(ctx, tenant, id))
}

func (g *guard) SaveIncidentScope(ctx context.Context, s *IncidentScope,
	affected []scope.Affected) error {
	return g.check(g.tx.SaveIncidentScope(ctx, s, affected))
}

func (g *guard) PutReadinessPolicy(ctx context.Context, p *readiness.Policy) error {
	return g.check(g.tx.PutReadinessPolicy(ctx, p))
}

func (g *guard) PutPerson(ctx context.Context, p *readiness.Person) error {
	return g.check(g.tx.PutPerson(ctx, p))
}

func (g *guard) AddCompletion(ctx context.Context, c *readiness.Completion) error {
	return g.check(g.tx.AddCompletion(ctx, c))
}

func (g *guard) CreateFindings(ctx context.Context, fs []readiness.Finding) error {
	return g.check(g.tx.CreateFindings(ctx, fs))
}

func (g *guard) UpdateFinding(ctx context.Context, f *readiness.Finding) error {
	return g.check(g.tx.UpdateFinding(ctx, f))
}

func (g *guard) CreateExercise(ctx context.Context, e *readiness.Exercise) error {
	return g.check(g.tx.CreateExercise(ctx, e))
}

func (g *guard) UpdateExercise(ctx context.Context, e *readiness.Exercise) error {
	return g.check(g.tx.UpdateExercise(ctx, e))
}

func (g *guard) MarkExercise(ctx context.Context, kind string, id, exercise int64) error {
	return g.check(g.tx.MarkExercise(ctx, kind, id, exercise))
}

func (g *guard) CreatePostMortem(ctx context.Context, pm *postmortem.PostMortem) error {
	return g.check(g.tx.CreatePostMortem(ctx, pm))
}

func (g *guard) UpdatePostMortem(ctx context.Context, pm *postmortem.PostMortem) error {
	return g.check(g.tx.UpdatePostMortem(ctx, pm))
}

func (g *guard) CreateFollowUp(ctx context.Context, f *postmortem.FollowUp) error {
	return g.check(g.tx.CreateFollowUp(ctx, f))
}

func (g *guard) UpdateFollowUp(ctx context.Context, f *postmortem.FollowUp) error {
	return g.check(g.tx.UpdateFollowUp(ctx, f))
}

func (g *guard) CreateNotice(ctx context.Context, n *Notice) error {
	return g.check(g.tx.CreateNotice(ctx, n))
}

func (g *guard) UpdateNotice(ctx context.Context, n *Notice) error {
	return g.check(g.tx.UpdateNotice(ctx, n))
}

func (g *guard) AddNoticeDelivery(ctx context.Context, d *NoticeDelivery) error {
	return g.check(g.tx.AddNoticeDelivery(ctx, d))
}

func (g *guard) UpdateNoticeDelivery(ctx context.Context, d *NoticeDelivery) error {
	return g.check(g.tx.UpdateNoticeDelivery(ctx, d))
}

func (g *guard) AcknowledgeNotice(ctx context.Context, id int64, by string,
	at time.Time) error {
	return g.check(g.tx.AcknowledgeNotice(ctx, id, by, at))
}

func (g *guard) EnqueueNotification(ctx context.Context, n *notify.Notification) (bool,
	error) {
	created, err := g.tx.EnqueueNotification(ctx, n)
	return created, g.check(err)
}
