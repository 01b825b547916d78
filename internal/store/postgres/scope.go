package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// inventoryChunk is how many entries one INSERT stores.
const inventoryChunk = 5000

// LoadInventory returns the whole inventory and its revision, read from
// one snapshot.
func (s *Store) LoadInventory(ctx context.Context) (*scope.Inventory, int64, error) {
	tx, err := s.readOnly(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("load inventory: %w", err)
	}
	defer tx.Rollback(ctx)
	var rev int64
	if err := tx.QueryRow(ctx, `SELECT revision FROM inventory_revision`).Scan(&rev); err != nil {
		return nil, 0, fmt.Errorf("load inventory: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT kind, doc::text FROM inventory_entries`)
	if err != nil {
		return nil, 0, fmt.Errorf("load inventory: %w", err)
	}
	var (
		b         store.InventoryBuilder
		kind, doc string
	)
	_, err = pgx.ForEachRow(rows, []any{&kind, &doc}, func() error {
		return b.Add(kind, []byte(doc))
	})
	if err != nil {
		return nil, 0, fmt.Errorf("load inventory: %w", err)
	}
	return b.Inventory(), rev, nil
}

// InventoryRevision returns the revision of the stored inventory.
func (s *Store) InventoryRevision(ctx context.Context) (int64, error) {
	var rev int64
	err := s.pool.QueryRow(ctx, `SELECT revision FROM inventory_revision`).Scan(&rev)
	if err != nil {
		return 0, fmt.Errorf("inventory revision: %w", err)
	}
	return rev, nil
}

// ChangeInventory applies c when the stored revision is c.Revision, in a
// transaction of its own.
func (s *Store) ChangeInventory(ctx context.Context, c store.InventoryChange) (int64, error) {
	var rev int64
	err := s.atomically(ctx, func(tx *txn) error {
		var err error
		rev, err = tx.ChangeInventory(ctx, c)
		return err
	})
	return rev, err
}

// ChangeInventory is Store.ChangeInventory in the transaction.
func (tx *txn) ChangeInventory(ctx context.Context, c store.InventoryChange) (int64, error) {
	rev, err := tx.changeInventory(ctx, c)
	if err != nil {
		return 0, fmt.Errorf("change inventory: %w", err)
	}
	return rev, nil
}

func (tx *txn) changeInventory(ctx context.Context, c store.InventoryChange) (int64, error) {
	var rev int64
	err := tx.QueryRow(ctx, `SELECT revision FROM inventory_revision FOR UPDATE`).Scan(&rev)
	if err != nil {
		return 0, err
	}
	if rev != c.Revision {
		return 0, &store.ConflictError{Version: c.Revision, Current: rev}
	}
	var rows []store.InventoryRow
	if c.Replace != nil {
		if _, err := tx.Exec(ctx, `DELETE FROM inventory_entries`); err != nil {
			return 0, err
		}
		rows = store.InventoryEntries(c.Replace)
	}
	rows = append(rows, store.InventoryEntries(&c.Put)...)
	for len(rows) > 0 {
		n := min(len(rows), inventoryChunk)
		if err := putEntries(ctx, tx, rows[:n]); err != nil {
			return 0, err
		}
		rows = rows[n:]
	}
	for _, ref := range c.Delete {
		_, err := tx.Exec(ctx, `DELETE FROM inventory_entries WHERE kind = $1 AND id = $2`,
			string(ref.Kind), ref.ID)
		if err != nil {
			return 0, err
		}
	}
	_, err = tx.Exec(ctx, `UPDATE inventory_revision SET revision = $1, updated = $2`,
		rev+1, timeArg(tx.now()))
	if err != nil {
		return 0, err
	}
	return rev + 1, nil
}

// putEntries stores rows, replacing entries of the same kind and ID.
func putEntries(ctx context.Context, tx pgx.Tx, rows []store.InventoryRow) error {
	kinds, ids, docs := make([]string, len(rows)), make([]string, len(rows)),
		make([]string, len(rows))
	for i, r := range rows {
		doc, err := json.Marshal(r.Entry)
		if err != nil {
			return err
		}
		kinds[i], ids[i], docs[i] = string(r.Kind), r.ID, string(doc)
	}
	_, err := tx.Exec(ctx, `INSERT INTO inventory_entries (kind, id, doc)
		SELECT k, i, d::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS r (k, i, d)
		ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc`, kinds, ids, docs)
	return err
}

// CreateTenant stores t at version 1, in a transaction of its own.
func (s *Store) CreateTenant(ctx context.Context, t *scope.Tenant) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.CreateTenant(ctx, t) })
}

// CreateTenant is Store.CreateTenant in the transaction.
func (tx *txn) CreateTenant(ctx context.Context, t *scope.Tenant) error {
	c := *t
	now := tx.now().UTC().Truncate(time.Microsecond)
	c.Version, c.Created, c.Updated = 1, now, now
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("create tenant %s: %w", t.ID, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO tenants (id, version, doc) VALUES ($1, 1, $2)`,
		c.ID, string(doc))
	if pgCode(err) == codeUnique {
		return fmt.Errorf("create tenant %s: %w", t.ID, store.ErrDuplicate)
	} else if err != nil {
		return fmt.Errorf("create tenant %s: %w", t.ID, err)
	}
	*t = c
	return nil
}

// GetTenant returns one tenant.
func (s *Store) GetTenant(ctx context.Context, id string) (*scope.Tenant, error) {
	var doc string
	err := s.pool.QueryRow(ctx, `SELECT doc::text FROM tenants WHERE id = $1`, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get tenant %s: %w", id, store.ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("get tenant %s: %w", id, err)
	}
	var t scope.Tenant
	if err := json.Unmarshal([]byte(doc), &t); err != nil {
		return nil, fmt.Errorf("get tenant %s: %w", id, err)
	}
	return &t, nil
}

// ListTenants returns every tenant by ID.
func (s *Store) ListTenants(ctx context.Context) ([]scope.Tenant, error) {
	out, err := queryDocs[scope.Tenant](ctx, s.pool, `SELECT 0::bigint, doc::text FROM tenants
		ORDER BY id`, nil)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return out, nil
}

// UpdateTenant saves t when the stored version is t.Version, in a
// transaction of its own.
func (s *Store) UpdateTenant(ctx context.Context, t *scope.Tenant) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.UpdateTenant(ctx, t) })
}

// UpdateTenant is Store.UpdateTenant in the transaction.
func (tx *txn) UpdateTenant(ctx context.Context, t *scope.Tenant) error {
	c := *t
	c.Version, c.Updated = t.Version+1, tx.now().UTC().Truncate(time.Microsecond)
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("update tenant %s: %w", t.ID, err)
	}
	err = tx.versioned(ctx, `SELECT version FROM tenants WHERE id = $1 FOR UPDATE`,
		`UPDATE tenants SET version = $1, doc = $2 WHERE id = $3`, t.Version,
		[]any{t.ID}, []any{c.Version, string(doc), t.ID})
	if err != nil {
		return fmt.Errorf("update tenant %s: %w", t.ID, err)
	}
	*t = c
	return nil
}

// DeleteTenant removes a tenant and its contacts, in a transaction of its
// own.
func (s *Store) DeleteTenant(ctx context.Context, id string) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.DeleteTenant(ctx, id) })
}

// DeleteTenant is Store.DeleteTenant in the transaction.
func (tx *txn) DeleteTenant(ctx context.Context, id string) error {
	tag, err := tx.Exec(ctx, `DELETE FROM tenants WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete tenant %s: %w", id, err)
	}
	return nil
}

// TenantExists reports whether tenant id is stored, in the transaction;
// FOR SHARE keeps a found tenant from being deleted until it ends.
func (tx *txn) TenantExists(ctx context.Context, id string) (bool, error) {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR SHARE`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("tenant %s exists: %w", id, err)
	}
	return true, nil
}

// AddContact stores c at version 1, in a transaction of its own.
func (s *Store) AddContact(ctx context.Context, c *scope.Contact) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.AddContact(ctx, c) })
}

// AddContact is Store.AddContact in the transaction.
func (tx *txn) AddContact(ctx context.Context, c *scope.Contact) error {
	n := *c
	now := tx.now().UTC().Truncate(time.Microsecond)
	n.ID, n.Version, n.Created, n.Updated = 0, 1, now, now
	doc, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("add contact: %w", err)
	}
	err = tx.QueryRow(ctx, `INSERT INTO tenant_contacts (tenant, version, verified, doc)
		VALUES ($1, 1, $2, $3) RETURNING id`, n.Tenant, timeArg(n.Verified), string(doc)).
		Scan(&n.ID)
	if err != nil {
		return fmt.Errorf("add contact: %w", foreignKey(err, "tenant"))
	}
	*c = n
	return nil
}

func setContactID(c *scope.Contact, id int64) { c.ID = id }

// GetContact returns one contact of a tenant.
func (s *Store) GetContact(ctx context.Context, tenant string, id int64) (*scope.Contact,
	error) {
	out, err := queryDocs(ctx, s.pool, `SELECT id, doc::text FROM tenant_contacts
		WHERE tenant = $1 AND id = $2`, setContactID, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("get contact %d: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("get contact %d: %w", id, store.ErrNotFound)
	}
	return &out[0], nil
}

// ListContacts returns the contacts f selects.
func (s *Store) ListContacts(ctx context.Context, f store.ContactFilter) ([]scope.Contact,
	error) {
	var w where
	if f.Tenant != "" {
		w.add("tenant = $%d", f.Tenant)
	}
	if !f.VerifiedBefore.IsZero() {
		w.add("(verified IS NULL OR verified < $%d)", timeArg(f.VerifiedBefore))
	}
	out, err := queryDocs(ctx, s.pool, `SELECT id, doc::text FROM tenant_contacts`+w.String()+
		` ORDER BY tenant, id`, setContactID, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return out, nil
}

// UpdateContact saves c when the stored version is c.Version, in a
// transaction of its own.
func (s *Store) UpdateContact(ctx context.Context, c *scope.Contact) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.UpdateContact(ctx, c) })
}

// UpdateContact is Store.UpdateContact in the transaction.
func (tx *txn) UpdateContact(ctx context.Context, c *scope.Contact) error {
	n, err := tx.updateContact(ctx, c)
	if err != nil {
		return fmt.Errorf("update contact %d: %w", c.ID, err)
	}
	*c = n
	return nil
}

func (tx *txn) updateContact(ctx context.Context, c *scope.Contact) (scope.Contact, error) {
	var (
		version int64
		doc     string
		stored  scope.Contact
	)
	err := tx.QueryRow(ctx, `SELECT version, doc::text FROM tenant_contacts
		WHERE tenant = $1 AND id = $2 FOR UPDATE`, c.Tenant, c.ID).Scan(&version, &doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return scope.Contact{}, store.ErrNotFound
	} else if err != nil {
		return scope.Contact{}, err
	}
	if version != c.Version {
		return scope.Contact{}, &store.ConflictError{Version: c.Version, Current: version}
	}
	if err := json.Unmarshal([]byte(doc), &stored); err != nil {
		return scope.Contact{}, err
	}
	n := *c
	n.Created, n.Version = stored.Created, c.Version+1
	n.Updated = tx.now().UTC().Truncate(time.Microsecond)
	b, err := json.Marshal(n)
	if err != nil {
		return scope.Contact{}, err
	}
	_, err = tx.Exec(ctx, `UPDATE tenant_contacts SET version = $1, verified = $2, doc = $3
		WHERE id = $4`, n.Version, timeArg(n.Verified), string(b), n.ID)
	if err != nil {
		return scope.Contact{}, err
	}
	return n, nil
}

// DeleteContact removes one contact of a tenant, in a transaction of its
// own.
func (s *Store) DeleteContact(ctx context.Context, tenant string, id int64) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.DeleteContact(ctx, tenant, id) })
}

// DeleteContact is Store.DeleteContact in the transaction.
func (tx *txn) DeleteContact(ctx context.Context, tenant string, id int64) error {
	tag, err := tx.Exec(ctx, `DELETE FROM tenant_contacts WHERE tenant = $1 AND id = $2`,
		tenant, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete contact %d: %w", id, err)
	}
	return nil
}
