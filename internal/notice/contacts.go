package notice

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// ContactHooks resolves tenant contacts' webhooks for
// notify.WebhookSender.WithContacts: the contact's URL, signed with
// TenantSecret(Secret, tenant), so that each tenant verifies the posts
// with a secret of its own and cannot forge another's.
type ContactHooks struct {
	Store interface {
		ListContacts(ctx context.Context, f store.ContactFilter) ([]scope.Contact, error)
	}
	// Secret is the operator's signing key of tenant webhooks (vigil serve
	// reads it from VIGIL_NOTICE_WEBHOOK_SECRET); empty: tenant webhooks
	// fail their attempts.
	Secret notify.Secret
}

// TenantSecret returns the secret that signs the webhook posts to a
// tenant's contacts: the hex HMAC-SHA256 of "tenant-webhook:<tenant>"
// under the operator's secret.
func TenantSecret(secret notify.Secret, tenant string) notify.Secret {
	m := hmac.New(sha256.New, []byte(secret.Reveal()))
	m.Write([]byte("tenant-webhook:" + tenant))
	return notify.Secret(hex.EncodeToString(m.Sum(nil)))
}

// ContactWebhook returns the webhook of contact id.
func (h ContactHooks) ContactWebhook(ctx context.Context, id int64) (*notify.Webhook, error) {
	if h.Secret == "" {
		return nil, errors.New("no signing key for tenant webhooks " +
			"(VIGIL_NOTICE_WEBHOOK_SECRET)")
	}
	cs, err := h.Store.ListContacts(ctx, store.ContactFilter{})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.ID != id {
			continue
		}
		if c.WebhookURL == "" {
			return nil, fmt.Errorf("contact %d of tenant %s has no webhook URL", id, c.Tenant)
		}
		return &notify.Webhook{ID: id, Name: c.Name, URL: c.WebhookURL,
			Secret: TenantSecret(h.Secret, c.Tenant)}, nil
	}
	return nil, fmt.Errorf("contact %d: %w", id, store.ErrNotFound)
}
