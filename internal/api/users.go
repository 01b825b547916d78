package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// maxUserBody caps the body of user and token requests.
const maxUserBody = 64 << 10

// userView is a user as the API shows it: never the password hash.
type userView struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email"`
	Roles       []string  `json:"roles"`
	Tenant      string    `json:"tenant"`
	Disabled    bool      `json:"disabled"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

func newUserView(u *store.User) *userView {
	return &userView{ID: u.ID, Name: u.Name, DisplayName: u.DisplayName, Email: u.Email,
		Roles: u.Roles, Tenant: u.Tenant, Disabled: u.Disabled, Created: u.Created,
		Updated: u.Updated}
}

// createUser answers POST /api/v1/users. Without a password, one is
// generated and returned once in "password".
func (s *server) createUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name        string   `json:"name"`
		DisplayName string   `json:"display_name"`
		Email       string   `json:"email"`
		Roles       []string `json:"roles"`
		Tenant      string   `json:"tenant"`
		Password    string   `json:"password"`
	}
	if !decodeBody(w, r, maxUserBody, &req) {
		return
	}
	u := &store.User{Name: req.Name, DisplayName: req.DisplayName, Email: req.Email,
		Roles: req.Roles, Tenant: req.Tenant}
	if err := auth.CheckUser(u); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	password, generated := req.Password, req.Password == ""
	if generated {
		var err error
		if password, err = auth.NewPassword(); err != nil {
			s.internalError(w, "new password", err)
			return
		}
	}
	hash, err := s.passwords.Hash(password)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	u.PasswordHash = hash
	err = s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
		if err := checkTenant(r.Context(), tx, u.Tenant); err != nil {
			return err
		}
		if err := tx.CreateUser(r.Context(), u); err != nil {
			return err
		}
		return s.audit.RecordIn(r.Context(), tx, audit.Entry{Action: audit.UserCreated,
			ObjectType: "user", ObjectID: u.Name, Tenant: u.Tenant, Details: mustJSON(
				map[string]any{"id": u.ID, "roles": u.Roles, "password_generated": generated})})
	})
	if errors.Is(err, store.ErrDuplicate) {
		writeError(w, http.StatusConflict, "a user named "+strconv.Quote(u.Name)+" exists")
		return
	} else if errors.Is(err, errUnknownTenant) {
		writeUnknownTenant(w, u.Tenant)
		return
	} else if err != nil {
		s.internalError(w, "create user", err)
		return
	}
	out := struct {
		*userView
		Password string `json:"password,omitempty"`
	}{userView: newUserView(u)}
	if generated {
		out.Password = password
		w.Header().Set("Cache-Control", "no-store")
	}
	writeJSON(w, http.StatusCreated, out)
}

// listUsers answers GET /api/v1/users; a tenant's principal gets its own
// tenant's users only.
func (s *server) listUsers(w http.ResponseWriter, r *http.Request) {
	if q := newQuery(r); q.err != nil {
		writeError(w, http.StatusBadRequest, q.err.Error())
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	users, err := s.cfg.Store.ListUsers(r.Context(), store.UserFilter{Tenant: p.Tenant})
	if err != nil {
		s.storeError(w, "list users", err)
		return
	}
	out := struct {
		Items []*userView `json:"items"`
	}{Items: make([]*userView, 0, len(users))}
	for i := range users {
		out.Items = append(out.Items, newUserView(&users[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

// loadUser reads the user of the {id} path parameter, answering 400 or 404
// (also for another tenant's user) when it cannot.
func (s *server) loadUser(w http.ResponseWriter, r *http.Request) (*store.User, bool) {
	id, ok := pathID(w, r)
	if !ok {
		return nil, false
	}
	u, err := s.cfg.Store.GetUser(r.Context(), id)
	if err != nil {
		s.storeError(w, "get user", err)
		return nil, false
	}
	return u, visible(w, r, u.Tenant)
}

// getUser answers GET /api/v1/users/{id}.
func (s *server) getUser(w http.ResponseWriter, r *http.Request) {
	if u, ok := s.loadUser(w, r); ok {
		writeJSON(w, http.StatusOK, newUserView(u))
	}
}

// patchUser answers PATCH /api/v1/users/{id}: display name, email, roles,
// disabled and a password reset. Disabling a user or resetting the
// password ends the user's sessions. Role changes are recorded as
// user.role_changed, other changes as user.updated.
func (s *server) patchUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		DisplayName *string   `json:"display_name"`
		Email       *string   `json:"email"`
		Roles       *[]string `json:"roles"`
		Disabled    *bool     `json:"disabled"`
		Password    *string   `json:"password"`
	}
	u, ok := s.loadUser(w, r)
	if !ok || !decodeBody(w, r, maxUserBody, &req) {
		return
	}
	oldRoles := u.Roles
	var changed []string
	set := func(name string, dst *string, v *string) {
		if v != nil && *v != *dst {
			*dst = *v
			changed = append(changed, name)
		}
	}
	set("display_name", &u.DisplayName, req.DisplayName)
	set("email", &u.Email, req.Email)
	if req.Roles != nil {
		if err := auth.CheckRoles(*req.Roles, u.Tenant); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		u.Roles = *req.Roles
	}
	if req.Disabled != nil && *req.Disabled != u.Disabled {
		u.Disabled = *req.Disabled
		changed = append(changed, "disabled")
	}
	if req.Password != nil {
		hash, err := s.passwords.Hash(*req.Password)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		u.PasswordHash = hash
		changed = append(changed, "password")
	}
	u.Updated = time.Time{}
	err := s.cfg.Store.Atomically(r.Context(), func(tx store.Tx) error {
		if err := tx.UpdateUser(r.Context(), u); err != nil {
			return err
		}
		return s.recordUserChange(r.Context(), tx, u, oldRoles, changed)
	})
	if err != nil {
		s.storeError(w, "update user", err)
		return
	}
	writeJSON(w, http.StatusOK, newUserView(u))
}

// recordUserChange ends the sessions of a disabled user or a reset password
// and records the change, in tx, the transaction that saved u.
func (s *server) recordUserChange(ctx context.Context, tx store.Tx, u *store.User,
	oldRoles, changed []string) error {
	if slices.Contains(changed, "disabled") && u.Disabled || slices.Contains(changed, "password") {
		if _, err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
	}
	if !slices.Equal(oldRoles, u.Roles) {
		err := s.audit.RecordIn(ctx, tx, audit.Entry{Action: audit.UserRoleChanged,
			ObjectType: "user", ObjectID: u.Name, Tenant: u.Tenant,
			Details: mustJSON(map[string]any{"id": u.ID, "from": oldRoles, "to": u.Roles})})
		if err != nil {
			return err
		}
	}
	if len(changed) == 0 {
		return nil
	}
	return s.audit.RecordIn(ctx, tx, audit.Entry{Action: audit.UserUpdated, ObjectType: "user",
		ObjectID: u.Name, Tenant: u.Tenant, Details: mustJSON(map[string]any{"id": u.ID,
			"changed": changed, "disabled": u.Disabled})})
}

// pathID reads the {id} path parameter, answering 400 when it is not a
// positive integer.
func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest,
			"path parameter \"id\": "+strconv.Quote(raw)+" is not a positive integer")
		return 0, false
	}
	return id, true
}
