package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/incident"
)

// ErrConflict is returned by UpdateIncidentRecord when the stored record has
// moved on from the version the caller read (optimistic concurrency). The
// error is a *ConflictError, which carries the current version.
var ErrConflict = errors.New("version conflict")

// ConflictError reports a stale update: the caller's version is not the
// stored one. errors.Is(err, ErrConflict) holds for it.
type ConflictError struct {
	// Version is the version the update was based on; Current the stored one.
	Version, Current int64
}

// Error returns "version N is stale, current is M".
func (e *ConflictError) Error() string {
	return fmt.Sprintf("version %d is stale, current is %d: %s", e.Version, e.Current,
		ErrConflict)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Records is the part of the contract that keeps the full incident record
// (incident.Record and incident.Gates) of every incident, including those
// that CreateIncident stores: they start with a default record built from
// the incident's columns, at version 1.
type Records interface {
	// GetIncidentRecord returns the incident's record and version, or
	// ErrNotFound. Append-only lists come in the order they were appended;
	// phase changes carry their time in their recorded zone.
	GetIncidentRecord(ctx context.Context, id int64) (*IncidentRecord, error)
	// UpdateIncidentRecord saves rec when the stored version is rec.Version,
	// in one transaction, and then sets rec.Version to the new version (one
	// more) and rec.Updated to the store's clock. A stale version gives a
	// *ConflictError (ErrConflict); an unknown ID ErrNotFound; a change to
	// an append-only part (actions, comments, phase changes, approvals) an
	// error wrapping incident.ErrRewritten; and nothing is saved. Number,
	// ID, AlertIDs, Opened and Severity are not changed by an update.
	UpdateIncidentRecord(ctx context.Context, rec *IncidentRecord) error
	// IncidentRecordsSharing returns the records of incidents other than
	// except that hold at least one of the indicators (compared by kind and
	// value as given), by ascending ID, at most limit of them (MaxLimit when
	// limit is 0 or larger).
	IncidentRecordsSharing(ctx context.Context, except int64, inds []incident.Indicator,
		limit int) ([]IncidentRecord, error)
	// IncidentIDByNumber returns the ID of the incident numbered number, or
	// ErrNotFound.
	IncidentIDByNumber(ctx context.Context, number string) (int64, error)
}

// IncidentRecord is an incident as the incident page shows it: its full
// record, the facts of its gates, and the version that optimistic
// concurrency checks.
type IncidentRecord struct {
	ID      int64 `json:"id"`
	Version int64 `json:"version"`
	// Severity is the foundation's severity word set from the opening
	// alert's level (incident.Incident.Severity); the service team's
	// decision is in Record.Severity.
	Severity string    `json:"severity"`
	AlertIDs []int64   `json:"alert_ids"`
	Opened   time.Time `json:"opened"`
	Updated  time.Time `json:"updated"`

	Record incident.Record `json:"record"`
	Gates  incident.Gates  `json:"gates"`
}

// RecordColumns are the columns of the incidents table that an update writes,
// derived from the record.
type RecordColumns struct {
	Title    string
	Status   string
	Phase    string
	Category string
	// Priority is 0 when not derived yet; SeverityLevel is -1 when no
	// decision was made.
	Priority      int
	SeverityLevel int
}

// Columns returns the queried columns of rec.
func (rec *IncidentRecord) Columns() RecordColumns {
	c := RecordColumns{Title: rec.Record.Title, Status: rec.Record.Status,
		Phase: string(rec.Record.Phase), Category: string(rec.Record.Category),
		Priority: int(rec.Record.Priority), SeverityLevel: -1}
	if n := len(rec.Record.Severity); n > 0 {
		c.SeverityLevel = int(rec.Record.Severity[n-1].Decided)
	}
	return c
}

// recordDoc is the JSON document kept beside the columns: the record
// without its columns and its append-only lists, which have tables.
type recordDoc struct {
	Record incident.Record `json:"record"`
	Gates  incident.Gates  `json:"gates"`
}

// EncodeRecordDoc returns the JSON document a back end stores for rec.
func EncodeRecordDoc(rec *IncidentRecord) ([]byte, error) {
	d := recordDoc{Record: rec.Record, Gates: rec.Gates}
	r := &d.Record
	r.Number, r.Title, r.Phase, r.Status, r.Category = "", "", "", "", ""
	r.Actions, r.Comments, r.PhaseChanges = nil, nil, nil
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode incident record: %w", err)
	}
	return b, nil
}

// DecodeRecordDoc fills rec from a stored document, leaving the fields that
// come from columns and tables as they are. An empty document ("{}", as
// incidents from before the record have) gives the default record:
// Detected is Opened.
func DecodeRecordDoc(b []byte, rec *IncidentRecord) error {
	var d recordDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("decode incident record %d: %w", rec.ID, err)
	}
	keep := rec.Record
	rec.Record, rec.Gates = d.Record, d.Gates
	r := &rec.Record
	r.Number, r.Title, r.Phase, r.Status, r.Category = keep.Number, keep.Title, keep.Phase,
		keep.Status, keep.Category
	r.Actions, r.Comments, r.PhaseChanges = keep.Actions, keep.Comments, keep.PhaseChanges
	if r.Detected.IsZero() {
		r.Detected = rec.Opened
	}
	return nil
}

// CheckRecordUpdate reports, wrapping incident.ErrRewritten, an update from
// before to after that changes or drops entries of an append-only part:
// actions, phase changes (incident.CheckAppendOnly), comments and
// approvals. Back ends call it inside the updating transaction.
func CheckRecordUpdate(before, after *IncidentRecord) error {
	if err := incident.CheckAppendOnly(&before.Record, &after.Record); err != nil {
		return err
	}
	err := appendOnly("comments", before.Record.Comments, after.Record.Comments,
		func(a, b incident.Comment) bool {
			return a.By == b.By && a.At.Equal(b.At) && a.Text == b.Text
		})
	if err != nil {
		return err
	}
	return appendOnly("approvals", before.Gates.Approvals, after.Gates.Approvals,
		func(a, b incident.Approval) bool {
			return a.By == b.By && a.Role == b.Role && a.At.Equal(b.At) && a.Step == b.Step &&
				a.Note == b.Note
		})
}

func appendOnly[T any](field string, before, after []T, eq func(a, b T) bool) error {
	if len(after) < len(before) {
		return fmt.Errorf("incident: %s: %d entries dropped: %w", field,
			len(before)-len(after), incident.ErrRewritten)
	}
	for i := range before {
		if !eq(before[i], after[i]) {
			return fmt.Errorf("incident: %s[%d] changed: %w", field, i, incident.ErrRewritten)
		}
	}
	return nil
}

// IndicatorKey returns the kind and value under which an indicator is
// looked up: normalized by incident.ParseIndicator, or trimmed when it does
// not parse (as incident.SuggestRelated compares them).
func IndicatorKey(ind incident.Indicator) (kind, value string) {
	if n, err := incident.ParseIndicator(ind.Kind, ind.Value); err == nil {
		return string(n.Kind), n.Value
	}
	return string(ind.Kind), strings.TrimSpace(ind.Value)
}
