package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// Token lifetimes: POST /api/v1/tokens without expires_in gives
// defaultTokenLife; longer than maxTokenLife is refused.
const (
	defaultTokenLife = 90 * 24 * time.Hour
	maxTokenLife     = 2 * 366 * 24 * time.Hour
)

// tokenView is a token as the API lists it: never the secret or its hash.
type tokenView struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Tenant    string     `json:"tenant"`
	Created   time.Time  `json:"created"`
	Expires   *time.Time `json:"expires,omitempty"`
	Revoked   bool       `json:"revoked"`
	CreatedBy string     `json:"created_by"`
}

func newTokenView(t *store.Token) tokenView {
	v := tokenView{ID: t.ID, Name: t.Name, Role: t.Role, Tenant: t.Tenant, Created: t.Created,
		Revoked: t.Revoked, CreatedBy: t.CreatedBy}
	if !t.Expires.IsZero() {
		v.Expires = &t.Expires
	}
	return v
}

// createToken answers POST /api/v1/tokens: a token with one role (and a
// tenant for tenant-admin), expiring after expires_in seconds (default 90
// days, at most two years). The secret is in the answer, once.
func (s *server) createToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name      string `json:"name"`
		Role      string `json:"role"`
		Tenant    string `json:"tenant"`
		ExpiresIn *int64 `json:"expires_in"`
	}
	if !decodeBody(w, r, maxUserBody, &req) {
		return
	}
	life := defaultTokenLife
	if req.ExpiresIn != nil {
		life = time.Duration(*req.ExpiresIn) * time.Second
	}
	switch err := auth.CheckRoles([]string{req.Role}, req.Tenant); {
	case req.Name == "" || len(req.Name) > 64:
		writeError(w, http.StatusBadRequest, "name: want 1 to 64 bytes")
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case life <= 0 || life > maxTokenLife:
		writeError(w, http.StatusBadRequest, "expires_in: want 1 to "+
			strconv.Itoa(int(maxTokenLife.Seconds()))+" seconds")
		return
	}
	secret, hash, err := auth.NewToken()
	if err != nil {
		s.internalError(w, "new token", err)
		return
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	t := store.Token{Name: req.Name, Hash: hash, Role: req.Role, Tenant: req.Tenant,
		Created: now, Expires: now.Add(life), CreatedBy: audit.ActorFrom(r.Context())}
	stored, err := s.storeToken(r.Context(), t)
	if errors.Is(err, store.ErrDuplicate) {
		writeError(w, http.StatusConflict, "a token named "+strconv.Quote(t.Name)+" exists")
		return
	} else if errors.Is(err, errUnknownTenant) {
		writeUnknownTenant(w, t.Tenant)
		return
	} else if err != nil {
		s.internalError(w, "create token", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, struct {
		tokenView
		Token string `json:"token"`
	}{newTokenView(stored), secret})
}

// errUnknownTenant is returned from a transaction that would bind a token
// or user to a tenant that is not stored.
var errUnknownTenant = errors.New("unknown tenant")

// checkTenant returns errUnknownTenant unless tenant, the one a token or
// user is bound to, is empty or stored. It reads in tx, so the tenant
// cannot be deleted between the check and the write.
func checkTenant(ctx context.Context, tx store.Tx, tenant string) error {
	if tenant == "" {
		return nil
	}
	ok, err := tx.TenantExists(ctx, tenant)
	if err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("tenant %q: %w", tenant, errUnknownTenant)
	}
	return nil
}

// writeUnknownTenant answers 422 with field "tenant" for a token or user
// bound to a tenant that does not exist.
func writeUnknownTenant(w http.ResponseWriter, tenant string) {
	writeRequestError(w, &requestError{Status: http.StatusUnprocessableEntity,
		Field: "tenant", Msg: fmt.Sprintf("tenant %q does not exist; create it first"+
			" (vigil inventory import or POST /api/v1/tenants)", tenant)})
}

// storeToken stores t with its token.created entry, in one transaction,
// and returns it as stored; errUnknownTenant when t's tenant is not stored.
func (s *server) storeToken(ctx context.Context, t store.Token) (*store.Token, error) {
	var stored *store.Token
	err := s.cfg.Store.Atomically(ctx, func(tx store.Tx) error {
		if err := checkTenant(ctx, tx, t.Tenant); err != nil {
			return err
		}
		if err := tx.CreateToken(ctx, t); err != nil {
			return err
		}
		// The store assigns the ID; read it back by the hash.
		var err error
		if stored, err = tx.TokenByHash(ctx, t.Hash); err != nil {
			return fmt.Errorf("read created token: %w", err)
		}
		return s.audit.RecordIn(ctx, tx, audit.Entry{Action: audit.TokenCreated,
			ObjectType: "token", ObjectID: t.Name, Tenant: t.Tenant, Details: mustJSON(
				map[string]any{"id": stored.ID, "name": t.Name, "role": t.Role,
					"expires": t.Expires})})
	})
	return stored, err
}

// listTokens answers GET /api/v1/tokens: every token, revoked and expired
// ones included, without secrets or hashes.
func (s *server) listTokens(w http.ResponseWriter, r *http.Request) {
	if q := newQuery(r); q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	tokens, err := s.cfg.Store.ListTokens(r.Context())
	if err != nil {
		s.storeError(w, "list tokens", err)
		return
	}
	out := struct {
		Items []tokenView `json:"items"`
	}{Items: make([]tokenView, 0, len(tokens))}
	for i := range tokens {
		out.Items = append(out.Items, newTokenView(&tokens[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

// revokeToken answers DELETE /api/v1/tokens/{id}: 204, or 404 for an
// unknown token. Revoking a revoked token is not an error.
func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	err := s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
		if err := tx.RevokeToken(r.Context(), id); err != nil {
			return err
		}
		return s.audit.RecordIn(r.Context(), tx, audit.Entry{Action: audit.TokenRevoked,
			ObjectType: "token", ObjectID: strconv.FormatInt(id, 10),
			Details: mustJSON(map[string]any{"id": id})})
	})
	if err != nil {
		s.storeError(w, "revoke token", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
