package postmortem

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/incident"
)

// Kind is where a timeline entry comes from.
type Kind string

// The kinds of timeline entry: one per source of the record, and manual
// for entries people add.
const (
	KindAlert        Kind = "alert"
	KindPhase        Kind = "phase"
	KindAction       Kind = "action"
	KindApproval     Kind = "approval"
	KindComment      Kind = "comment"
	KindEvidence     Kind = "evidence"
	KindNotification Kind = "notification"
	KindAudit        Kind = "audit"
	KindManual       Kind = "manual"
)

// Kinds lists the kinds in the order the timeline chart draws their lanes.
func Kinds() []Kind {
	return []Kind{KindAlert, KindPhase, KindAction, KindApproval, KindComment, KindEvidence,
		KindNotification, KindAudit, KindManual}
}

// Source links a timeline entry to what it was read from: an object (Type
// and ID: "alert" "7", "evidence" "2", "notification" "12"), a part of the
// incident record (Type "incident", ID the incident, Part
// "phase_changes[3]"), or an audit entry (Type "audit", AuditSeq).
// Manual entries have Type "manual".
type Source struct {
	Type     string `json:"type"`
	ID       string `json:"id,omitempty"`
	Part     string `json:"part,omitempty"`
	AuditSeq int64  `json:"audit_seq,omitempty"`
}

// String returns the source as a reference: "alert/7",
// "incident/3#phase_changes[3]", "audit#42", "manual".
func (s Source) String() string {
	switch {
	case s.Type == "audit":
		return "audit#" + strconv.FormatInt(s.AuditSeq, 10)
	case s.Type == "manual":
		return "manual"
	case s.Part != "":
		return s.Type + "/" + s.ID + "#" + s.Part
	}
	return s.Type + "/" + s.ID
}

// Entry is one moment of the timeline. At is UTC; Zone names the time zone
// it is shown in (the mover's zone for phase changes, else UTC or what
// the person who added it gave). Entries are never deleted: Visibility
// hides one from the report, with a reason, and can show it again.
type Entry struct {
	ID     int       `json:"id"`
	At     time.Time `json:"at"`
	Zone   string    `json:"time_zone"`
	Kind   Kind      `json:"kind"`
	Source Source    `json:"source"`
	Text   string    `json:"text"`
	Actor  string    `json:"actor,omitempty"`
	// Phase is the phase a phase entry moved the incident to.
	Phase incident.Phase `json:"phase,omitempty"`
	// AddedBy and AddedAt are set on manual entries.
	AddedBy string    `json:"added_by,omitempty"`
	AddedAt time.Time `json:"added_at,omitzero"`
	// Notes annotate the entry; append-only.
	Notes []Note `json:"notes,omitempty"`
	// Visibility changes, append-only; Hidden follows the last one.
	Visibility []VisibilityChange `json:"visibility,omitempty"`
	Hidden     bool               `json:"hidden"`
}

// Local returns At in the entry's zone (UTC when the zone is unknown).
func (e *Entry) Local() time.Time {
	if loc, err := time.LoadLocation(e.Zone); err == nil && e.Zone != "" {
		return e.At.In(loc)
	}
	return e.At.UTC()
}

// Note is an annotation of a timeline entry.
type Note struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// VisibilityChange hides or shows an entry again, with a reason.
type VisibilityChange struct {
	Hidden bool      `json:"hidden"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// maxText caps the text of an entry, a note or a reason (bytes).
const maxText = 4000

// checkText trims s and checks it is set and not too long.
func checkText(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return s, invalid(field, "must not be empty")
	case len(s) > maxText:
		return s, invalid(field, "%d bytes, at most %d", len(s), maxText)
	}
	return s, nil
}

// AddEntry adds a manual entry at at, shown in zone (an IANA name; empty
// is UTC), and returns it.
func (pm *PostMortem) AddEntry(at time.Time, zone, text, by string,
	now time.Time) (*Entry, error) {
	text, err := checkText("text", text)
	if err != nil {
		return nil, err
	}
	if at.IsZero() {
		return nil, invalid("at", "must be set")
	}
	if zone == "" {
		zone = "UTC"
	}
	if _, err := time.LoadLocation(zone); err != nil || zone == "Local" {
		return nil, invalid("time_zone", "%q is not an IANA time zone", zone)
	}
	pm.Timeline = append(pm.Timeline, Entry{ID: len(pm.Timeline) + 1, At: at.UTC(),
		Zone: zone, Kind: KindManual, Source: Source{Type: "manual"}, Text: text, Actor: by,
		AddedBy: by, AddedAt: now.UTC()})
	pm.changed()
	return &pm.Timeline[len(pm.Timeline)-1], nil
}

// entry returns the entry id, or an error naming it.
func (pm *PostMortem) entry(id int) (*Entry, error) {
	if id < 1 || id > len(pm.Timeline) {
		return nil, invalid("entry", "the timeline has no entry %d", id)
	}
	return &pm.Timeline[id-1], nil
}

// Annotate adds a note to entry id.
func (pm *PostMortem) Annotate(id int, text, by string, now time.Time) (*Entry, error) {
	e, err := pm.entry(id)
	if err != nil {
		return nil, err
	}
	if text, err = checkText("text", text); err != nil {
		return nil, err
	}
	e.Notes = append(e.Notes, Note{By: by, At: now.UTC(), Text: text})
	pm.changed()
	return e, nil
}

// SetHidden hides (hidden true) or shows entry id again, with a reason;
// an entry already in that state gives ErrInvalid.
func (pm *PostMortem) SetHidden(id int, hidden bool, reason, by string,
	now time.Time) (*Entry, error) {
	e, err := pm.entry(id)
	if err != nil {
		return nil, err
	}
	if reason, err = checkText("reason", reason); err != nil {
		return nil, err
	}
	if e.Hidden == hidden {
		return nil, invalid("hidden", "entry %d is %s already", id, map[bool]string{
			true: "hidden", false: "shown"}[hidden])
	}
	e.Visibility = append(e.Visibility, VisibilityChange{Hidden: hidden, By: by,
		At: now.UTC(), Reason: reason})
	e.Hidden = hidden
	pm.changed()
	return e, nil
}

// Ordered returns the timeline sorted by time (then by ID), hidden entries
// included; the stored order is the order entries were added.
func (pm *PostMortem) Ordered() []Entry {
	out := slices.Clone(pm.Timeline)
	slices.SortStableFunc(out, func(a, b Entry) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// CheckUpdate reports, wrapping ErrRewritten, an update from before to after
// that drops or changes append-only parts: timeline entries (their time,
// zone, kind, source, text, actor and who added them), their notes and
// visibility changes, findings' IDs and sign-offs; and a Hidden flag that
// does not follow the last visibility change. Stores call it in the
// updating transaction.
func CheckUpdate(before, after *PostMortem) error {
	if len(after.Timeline) < len(before.Timeline) {
		return fmt.Errorf("timeline: %d entries dropped: %w",
			len(before.Timeline)-len(after.Timeline), ErrRewritten)
	}
	for i := range after.Timeline {
		a := &after.Timeline[i]
		if a.ID != i+1 {
			return fmt.Errorf("timeline[%d]: ID %d, want %d: %w", i, a.ID, i+1, ErrRewritten)
		}
		want := len(a.Visibility) > 0 && a.Visibility[len(a.Visibility)-1].Hidden
		if a.Hidden != want {
			return fmt.Errorf("timeline[%d]: hidden %v without a visibility change: %w", i,
				a.Hidden, ErrRewritten)
		}
		if i >= len(before.Timeline) {
			continue
		}
		if err := sameEntry(&before.Timeline[i], a); err != nil {
			return fmt.Errorf("timeline[%d]: %w", i, err)
		}
	}
	for i := range after.Findings {
		if after.Findings[i].ID != i+1 {
			return fmt.Errorf("findings[%d]: ID %d: %w", i, after.Findings[i].ID, ErrRewritten)
		}
	}
	if len(after.Findings) < len(before.Findings) {
		return fmt.Errorf("findings dropped: %w", ErrRewritten)
	}
	return prefix("sign_offs", before.SignOffs, after.SignOffs, func(a, b SignOff) bool {
		return a.Role == b.Role && a.By == b.By && a.At.Equal(b.At) &&
			a.Revision == b.Revision && a.Note == b.Note
	})
}

// sameEntry checks that b keeps a's fixed fields and extends its lists.
func sameEntry(a, b *Entry) error {
	if !a.At.Equal(b.At) || a.Zone != b.Zone || a.Kind != b.Kind || a.Source != b.Source ||
		a.Phase != b.Phase || a.Text != b.Text || a.Actor != b.Actor || a.AddedBy != b.AddedBy ||
		!a.AddedAt.Equal(b.AddedAt) {
		return fmt.Errorf("entry %d changed: %w", a.ID, ErrRewritten)
	}
	err := prefix("notes", a.Notes, b.Notes, func(x, y Note) bool {
		return x.By == y.By && x.At.Equal(y.At) && x.Text == y.Text
	})
	if err != nil {
		return err
	}
	return prefix("visibility", a.Visibility, b.Visibility, func(x, y VisibilityChange) bool {
		return x.Hidden == y.Hidden && x.By == y.By && x.At.Equal(y.At) && x.Reason == y.Reason
	})
}

// prefix checks that after starts with before.
func prefix[T any](field string, before, after []T, eq func(a, b T) bool) error {
	if len(after) < len(before) {
		return fmt.Errorf("%s: %d dropped: %w", field, len(before)-len(after), ErrRewritten)
	}
	for i := range before {
		if !eq(before[i], after[i]) {
			return fmt.Errorf("%s[%d] changed: %w", field, i, ErrRewritten)
		}
	}
	return nil
}
