package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

// auditEntry is an audit entry as the API shows it: the stored fields and
// the action's code.
type auditEntry struct {
	Seq        int64           `json:"seq"`
	Time       time.Time       `json:"time"`
	Actor      string          `json:"actor"`
	Action     audit.Action    `json:"action"`
	Code       audit.Code      `json:"code"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	Tenant     string          `json:"tenant"`
	Details    json.RawMessage `json:"details"`
	PrevHash   audit.Hash      `json:"prev_hash"`
	Hash       audit.Hash      `json:"hash"`
}

// listAudit answers GET /api/v1/audit: a page of audit entries, newest
// first.
func (s *server) listAudit(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "action", "object_type", "object_id", "since", "until", "limit", "cursor")
	f := store.AuditFilter{
		Action:     audit.Action(q.str("action")),
		ObjectType: q.str("object_type"),
		ObjectID:   q.str("object_id"),
		Since:      q.time("since"),
		Until:      q.time("until"),
		Limit:      q.limit(),
		Cursor:     q.str("cursor"),
	}
	if q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	page, err := s.cfg.Store.ListAudit(r.Context(), f)
	if err != nil {
		s.storeError(w, "list audit", err)
		return
	}
	out := store.Page[auditEntry]{Items: make([]auditEntry, 0, len(page.Items)),
		Next: page.Next, Total: page.Total}
	for _, e := range page.Items {
		out.Items = append(out.Items, auditEntry{Seq: e.Seq, Time: e.Time, Actor: e.Actor,
			Action: e.Action, Code: e.Code(), ObjectType: e.ObjectType, ObjectID: e.ObjectID,
			Tenant: e.Tenant, Details: e.Details, PrevHash: e.PrevHash, Hash: e.Hash})
	}
	writeJSON(w, http.StatusOK, out)
}
