package store

import (
	"context"

	"github.com/vigilsec/vigil/internal/evidence"
)

// EvidenceStore keeps evidence records, their append-only chains of custody
// (internal/evidence), and reads stored events for attaching them. Records
// and custody entries are never updated or deleted: both back ends refuse
// it in the database too. Unknown IDs give ErrNotFound.
type EvidenceStore interface {
	// AddEvidence stores e and its first custody entry in one transaction,
	// setting e.ID, first.ID and first.EvidenceID. An unknown e.IncidentID
	// gives ErrNotFound and stores nothing.
	AddEvidence(ctx context.Context, e *evidence.Evidence, first *evidence.Custody) error
	// GetEvidence returns one record with its CustodyCount.
	GetEvidence(ctx context.Context, id int64) (*evidence.Evidence, error)
	// ListEvidence returns the records of an incident, oldest first, with
	// their CustodyCount; none (an empty slice) for an unknown incident.
	ListEvidence(ctx context.Context, incidentID int64) ([]evidence.Evidence, error)
	// AppendCustody appends c (its ID is ignored) to the custody log of
	// c.EvidenceID, setting c.ID, which grows with every entry.
	AppendCustody(ctx context.Context, c *evidence.Custody) error
	// ListCustody returns the custody log of one evidence in the order
	// appended; ErrNotFound when the evidence does not exist.
	ListCustody(ctx context.Context, evidenceID int64) ([]evidence.Custody, error)
	// EventsByID returns the stored events with these IDs, in ascending ID
	// order, each once; ErrNotFound when one does not exist.
	EventsByID(ctx context.Context, ids []int64) ([]evidence.EventRecord, error)
}
