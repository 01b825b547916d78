package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
)

// Store keeps evidence records and their custody logs. The store back ends
// implement it (store.EvidenceStore, with store.View[evidence.Tx] for
// Atomically); unknown IDs give an error wrapping store.ErrNotFound.
type Store interface {
	// GetEvidence returns one record with its CustodyCount.
	GetEvidence(ctx context.Context, id int64) (*Evidence, error)
	// ListEvidence returns an incident's records, oldest first.
	ListEvidence(ctx context.Context, incidentID int64) ([]Evidence, error)
	// ListCustody returns an evidence's custody log in the order appended.
	ListCustody(ctx context.Context, evidenceID int64) ([]Custody, error)
	// Atomically runs fn in one store transaction, committing what fn
	// wrote when it returns nil and nothing otherwise.
	Atomically(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is the part of a store transaction that the Service writes through,
// so that a record or a custody entry and the audit entry that records it
// are stored together or not at all. store.Tx is one.
type Tx interface {
	// AddEvidence stores e and its first custody entry (an Acquired one),
	// setting e.ID, first.ID and first.EvidenceID.
	AddEvidence(ctx context.Context, e *Evidence, first *Custody) error
	// AppendCustody appends c to its evidence's log, setting c.ID.
	AppendCustody(ctx context.Context, c *Custody) error
	audit.Appender
}

// AuditRecorder records entries in the audit trail through an Appender: a
// store transaction. An *audit.Log is one.
type AuditRecorder interface {
	RecordIn(ctx context.Context, app audit.Appender, e audit.Entry) error
}

// Config configures a Service. Store, Blobs and Audit are required.
type Config struct {
	Store Store
	Blobs Blobs
	Audit AuditRecorder
	// MaxSize caps one piece of evidence in bytes. Default DefaultMaxSize
	// (1 GiB).
	MaxSize int64
	// Now is the clock of acquisitions and custody entries. Default
	// time.Now.
	Now func() time.Time
}

// Service adds evidence, serves its content and keeps its chain of custody,
// recording every step in the audit trail too. It is safe for concurrent
// use. The record or custody entry of one step and its audit entry are
// stored in one transaction. The content is not: a blob that Put stored
// stays when attaching it fails.
type Service struct {
	cfg Config
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Blobs == nil || cfg.Audit == nil {
		return nil, errors.New("evidence: Config.Store, Blobs and Audit are required")
	}
	if cfg.MaxSize < 0 {
		return nil, errors.New("evidence: negative Config.MaxSize")
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg}, nil
}

// MaxSize returns the size limit of one piece of evidence, in bytes.
func (s *Service) MaxSize() int64 { return s.cfg.MaxSize }

// NewEvidence describes evidence being added.
type NewEvidence struct {
	IncidentID  int64
	FileName    string // cleaned with CleanFileName
	Description string
	Source      string // the host or source it came from
	MediaType   string // as declared; may be empty
	Reason      string // why it was acquired; may be empty
}

// Blob is content stored by Put, not yet attached to an incident.
type Blob struct {
	SHA256    string
	Size      int64
	MediaType string // chosen by MediaType from the declared type and content
}

// Put stores r's content in the blob store, up to MaxSize bytes (more gives
// a *TooLargeError and keeps nothing). declared is the media type the
// sender gave, possibly empty. Attach makes it evidence; a blob that is
// never attached stays unreferenced (TODO: collect unreferenced blobs).
func (s *Service) Put(ctx context.Context, r io.Reader, declared string) (Blob, error) {
	head := &headWriter{}
	sha, size, err := s.cfg.Blobs.Put(ctx, io.TeeReader(r, head), s.cfg.MaxSize)
	if err != nil {
		return Blob{}, fmt.Errorf("put evidence: %w", err)
	}
	return Blob{SHA256: sha, Size: size, MediaType: MediaType(declared, head.b)}, nil
}

// Add stores r's content with Put and attaches it with Attach.
func (s *Service) Add(ctx context.Context, in NewEvidence, r io.Reader) (*Evidence, error) {
	b, err := s.Put(ctx, r, in.MediaType)
	if err != nil {
		return nil, err
	}
	return s.Attach(ctx, in, b)
}

// Attach stores the record of a blob that Put stored, acquired by the
// context's actor (audit.ActorFrom) now, with an Acquired custody entry and
// an evidence.added audit entry. in.MediaType is not used: b has it.
func (s *Service) Attach(ctx context.Context, in NewEvidence, b Blob) (*Evidence, error) {
	actor, now := audit.ActorFrom(ctx), s.cfg.Now().UTC().Truncate(time.Microsecond)
	e := &Evidence{
		IncidentID: in.IncidentID, SHA256: b.SHA256, Size: b.Size, MediaType: b.MediaType,
		FileName: CleanFileName(in.FileName), Description: in.Description, AcquiredBy: actor,
		AcquiredAt: now, AcquiredFrom: in.Source,
	}
	if err := e.Check(); err != nil {
		return nil, fmt.Errorf("add evidence: %w", err)
	}
	details, err := json.Marshal(map[string]any{"source": in.Source, "sha256": b.SHA256})
	if err != nil {
		return nil, fmt.Errorf("add evidence: %w", err)
	}
	first := &Custody{Action: Acquired, By: actor, At: now, Reason: in.Reason, Details: details}
	if err := first.Check(); err != nil {
		return nil, fmt.Errorf("add evidence: %w", err)
	}
	err = s.cfg.Store.Atomically(ctx, func(tx Tx) error {
		if err := tx.AddEvidence(ctx, e, first); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.EvidenceAdded, e.ID, map[string]any{
			"incident_id": e.IncidentID, "sha256": e.SHA256, "size": e.Size,
			"file_name": e.FileName, "media_type": e.MediaType, "source": in.Source,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("add evidence: %w", err)
	}
	e.CustodyCount = 1
	return e, nil
}

// Get returns a record and its whole custody log.
func (s *Service) Get(ctx context.Context, id int64) (*Evidence, []Custody, error) {
	e, err := s.cfg.Store.GetEvidence(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	log, err := s.cfg.Store.ListCustody(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return e, log, nil
}

// List returns an incident's records, oldest first, with custody counts.
func (s *Service) List(ctx context.Context, incidentID int64) ([]Evidence, error) {
	return s.cfg.Store.ListEvidence(ctx, incidentID)
}

// Open returns the record and a verifying reader of the content (see
// Blobs.Open), after appending an Accessed custody entry by the context's
// actor with reason, and an evidence.accessed audit entry. An empty reason
// gives an error wrapping ErrInvalid. The caller must close the reader and
// must treat a *MismatchError at its end as "this content is not the
// evidence".
func (s *Service) Open(ctx context.Context, id int64, reason string) (*Evidence, io.ReadCloser,
	error) {
	e, err := s.cfg.Store.GetEvidence(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	c := &Custody{EvidenceID: id, Action: Accessed, Reason: reason}
	if err := s.append(ctx, c, audit.EvidenceAccessed); err != nil {
		return nil, nil, err
	}
	rc, err := s.cfg.Blobs.Open(e.SHA256)
	if err != nil {
		return nil, nil, fmt.Errorf("open evidence %d: %w", id, err)
	}
	return e, rc, nil
}

// Record appends a Transferred or Exported custody entry by the context's
// actor, and an evidence.exported audit entry. details may be nil.
func (s *Service) Record(ctx context.Context, id int64, action Action, reason string,
	details json.RawMessage) (*Custody, error) {
	if action != Transferred && action != Exported {
		return nil, fmt.Errorf("record custody: %w: action %q, want transferred or exported",
			ErrInvalid, action)
	}
	c := &Custody{EvidenceID: id, Action: action, Reason: reason, Details: details}
	if err := s.append(ctx, c, audit.EvidenceExported); err != nil {
		return nil, err
	}
	return c, nil
}

// Verify re-hashes the whole content and appends a Verified custody entry
// with the result ({"ok": true|false, "sha256": what the content hashes
// to}) and an evidence.verified audit entry. A mismatch is recorded and
// then returned as a *MismatchError.
func (s *Service) Verify(ctx context.Context, id int64, reason string) (*Custody, error) {
	e, err := s.cfg.Store.GetEvidence(ctx, id)
	if err != nil {
		return nil, err
	}
	rc, err := s.cfg.Blobs.Open(e.SHA256)
	if err != nil {
		return nil, fmt.Errorf("verify evidence %d: %w", id, err)
	}
	_, verr := io.Copy(io.Discard, rc)
	rc.Close()
	got, ok := e.SHA256, true
	if me := (*MismatchError)(nil); errors.As(verr, &me) {
		got, ok = me.Got, false
	} else if verr != nil {
		return nil, fmt.Errorf("verify evidence %d: %w", id, verr)
	}
	details, err := json.Marshal(map[string]any{"ok": ok, "sha256": got})
	if err != nil {
		return nil, fmt.Errorf("verify evidence %d: %w", id, err)
	}
	c := &Custody{EvidenceID: id, Action: Verified, Reason: reason, Details: details}
	if err := s.append(ctx, c, audit.EvidenceVerified); err != nil {
		return nil, err
	}
	return c, verr
}

// append fills c's actor and time, checks it, and appends it with the
// audit entry of action, in one transaction.
func (s *Service) append(ctx context.Context, c *Custody, action audit.Action) error {
	c.By, c.At = audit.ActorFrom(ctx), s.cfg.Now().UTC().Truncate(time.Microsecond)
	if len(c.Details) == 0 {
		c.Details = json.RawMessage("{}")
	}
	if err := c.Check(); err != nil {
		return fmt.Errorf("custody of evidence %d: %w", c.EvidenceID, err)
	}
	err := s.cfg.Store.Atomically(ctx, func(tx Tx) error {
		if err := tx.AppendCustody(ctx, c); err != nil {
			return err
		}
		return s.audit(ctx, tx, action, c.EvidenceID, map[string]any{
			"custody_id": c.ID, "action": c.Action, "reason": c.Reason, "details": c.Details,
		})
	})
	if err != nil {
		return fmt.Errorf("custody of evidence %d: %w", c.EvidenceID, err)
	}
	return nil
}

// audit records one evidence action in tx.
func (s *Service) audit(ctx context.Context, tx Tx, action audit.Action, id int64,
	details map[string]any) error {
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	return s.cfg.Audit.RecordIn(ctx, tx, audit.Entry{Action: action, ObjectType: "evidence",
		ObjectID: strconv.FormatInt(id, 10), Details: b})
}

// headWriter keeps the first 512 bytes written to it, for type sniffing.
type headWriter struct{ b []byte }

func (h *headWriter) Write(p []byte) (int, error) {
	if n := 512 - len(h.b); n > 0 {
		h.b = append(h.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}
