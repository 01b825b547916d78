package triage

import (
	"context"
	"fmt"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// Queue returns the triage queue the principal can see: alerts and support
// cases, most recently active first. A tenant's principal sees its own
// tenant's cases only.
func (s *Service) Queue(ctx context.Context, f QueueFilter) (store.Page[QueueItem], error) {
	if p, ok := auth.PrincipalFrom(ctx); ok && p.Tenant != "" {
		if f.Kind == "alert" {
			return store.Page[QueueItem]{Items: []QueueItem{}}, nil
		}
		f.Kind, f.Tenant = "case", p.Tenant
	}
	switch f.Kind {
	case "", "alert", "case":
	default:
		return store.Page[QueueItem]{}, fmt.Errorf("queue: %w: kind %q, want alert or case",
			ErrInvalid, f.Kind)
	}
	page, err := s.st.ListQueue(ctx, f)
	if err != nil {
		return page, fmt.Errorf("queue: %w", err)
	}
	return page, nil
}
