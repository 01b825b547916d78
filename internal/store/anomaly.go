package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vigilsec/vigil/internal/detect"
)

// AnomalyState keeps the anomaly models' state between restarts: templates,
// rate histories and learned values, as one opaque document per name.
// Saving it is not an audited change (it records what the models learned
// from events, not a change anyone made), so it stays outside Tx.
type AnomalyState interface {
	// SaveAnomalyState stores data under name, replacing what was there.
	SaveAnomalyState(ctx context.Context, name string, data []byte) error
	// LoadAnomalyState returns the data last saved under name, or
	// ErrNotFound.
	LoadAnomalyState(ctx context.Context, name string) ([]byte, error)
}

// EncodeExplanation returns an alert's explanation as the JSON text both
// back ends store; "" for none.
func EncodeExplanation(x *detect.Explanation) (string, error) {
	if x == nil {
		return "", nil
	}
	b, err := json.Marshal(x)
	if err != nil {
		return "", fmt.Errorf("explanation: %w", err)
	}
	return string(b), nil
}

// DecodeExplanation reads what EncodeExplanation wrote.
func DecodeExplanation(s string) (*detect.Explanation, error) {
	if s == "" {
		return nil, nil
	}
	var x detect.Explanation
	if err := json.Unmarshal([]byte(s), &x); err != nil {
		return nil, fmt.Errorf("explanation: %w", err)
	}
	return &x, nil
}
