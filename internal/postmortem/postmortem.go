package postmortem

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/incident"
)

// Errors that callers branch on (the API answers 422 for ErrInvalid, 409
// for the others).
var (
	// ErrInvalid is a change with a missing or bad value; the message
	// names the field.
	ErrInvalid = errors.New("invalid")
	// ErrRewritten is an update that drops or changes what is append-only:
	// timeline entries, their notes and visibility changes, sign-offs.
	ErrRewritten = errors.New("append-only part rewritten")
	// ErrSignOff is a sign-off that is not allowed (twice for the same
	// role and revision, or by the wrong person).
	ErrSignOff = errors.New("sign-off refused")
)

// invalid returns an error wrapping ErrInvalid that names field.
func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
}

// PostMortem is the review of one incident. The store keeps one per
// incident; Version counts its stored versions (optimistic concurrency),
// Revision the changes of its content that reviewers sign off.
type PostMortem struct {
	ID         int64  `json:"id"`
	IncidentID int64  `json:"incident_id"`
	Number     string `json:"number"`
	Title      string `json:"title"`
	Version    int64  `json:"version"`
	// Revision counts changes of the content (summary, actors, timeline,
	// findings), from 1; a sign-off approves one revision, and a later
	// change voids it.
	Revision  int       `json:"revision"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	Updated   time.Time `json:"updated"`

	// Summary is the technical summary: what happened, how it was found,
	// what was done (pre-filled from the record's summary and cause).
	Summary string `json:"summary"`
	// Actors are the threat actors involved, when known (free text).
	Actors []string `json:"actors"`
	// Responders are the people who worked the incident, from the record.
	Responders []string `json:"responders"`
	// Indicators are the record's indicators when the post-mortem was
	// created or last refreshed.
	Indicators []incident.Indicator `json:"indicators"`

	Timeline []Entry   `json:"timeline"`
	Findings []Finding `json:"findings"`
	// SignOffs are append-only, oldest first.
	SignOffs []SignOff `json:"sign_offs"`
}

// Finding categories.
type Category string

// The categories of a finding.
const (
	TechnicalLapse      Category = "technical-lapse"
	ProceduralFailure   Category = "procedural-failure"
	ManualError         Category = "manual-error"
	ProcessFlaw         Category = "process-flaw"
	CommunicationGlitch Category = "communication-glitch"
	UnknownAttackVector Category = "unknown-attack-vector"
)

// Categories lists every finding category.
func Categories() []Category {
	return []Category{TechnicalLapse, ProceduralFailure, ManualError, ProcessFlaw,
		CommunicationGlitch, UnknownAttackVector}
}

// Label returns the category as a heading: "Previously unknown attack vector".
func (c Category) Label() string {
	switch c {
	case UnknownAttackVector:
		return "Previously unknown attack vector"
	}
	s := strings.ReplaceAll(string(c), "-", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Finding is one lesson of the review, in a category, with the evidence
// that shows it: timeline entries, evidence records, alerts or audit
// entries.
type Finding struct {
	ID          int       `json:"id"`
	Category    Category  `json:"category"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Evidence    []Ref     `json:"evidence"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
	Updated     time.Time `json:"updated,omitzero"`
}

// Ref points at evidence of a finding.
type Ref struct {
	// Type is "timeline" (ID: an entry's ID), "evidence", "alert" or
	// "audit" (ID: the object's ID, or the audit seq).
	Type string `json:"type"`
	ID   string `json:"id"`
}

// RefTypes lists the kinds of evidence a finding may point at.
func RefTypes() []string { return []string{"timeline", "evidence", "alert", "audit"} }

// String returns "timeline#4", "evidence/2", "alert/7" or "audit#42".
func (r Ref) String() string {
	if r.Type == "timeline" || r.Type == "audit" {
		return r.Type + "#" + r.ID
	}
	return r.Type + "/" + r.ID
}

// Roles that sign a post-mortem off.
const (
	RoleCommander = "commander"
	RoleExecutive = "executive"
)

// SignOff is one reviewer's approval of a revision of the post-mortem.
type SignOff struct {
	Role     string    `json:"role"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Revision int       `json:"revision"`
	Note     string    `json:"note,omitempty"`
}

// SignedOff reports whether the commander and an executive both signed
// the current revision off.
func (pm *PostMortem) SignedOff() bool {
	return pm.signedBy(RoleCommander) != nil && pm.signedBy(RoleExecutive) != nil
}

// signedBy returns the sign-off of role for the current revision, or nil.
func (pm *PostMortem) signedBy(role string) *SignOff {
	for i := len(pm.SignOffs) - 1; i >= 0; i-- {
		if s := &pm.SignOffs[i]; s.Role == role && s.Revision == pm.Revision {
			return s
		}
	}
	return nil
}

// Pending returns the roles whose sign-off of the current revision is
// missing.
func (pm *PostMortem) Pending() []string {
	var out []string
	for _, r := range []string{RoleCommander, RoleExecutive} {
		if pm.signedBy(r) == nil {
			out = append(out, r)
		}
	}
	return out
}

// SignOff records by's sign-off in role of the current revision. A role
// that signed this revision already gives ErrSignOff; who may sign in
// which role is the caller's check.
func (pm *PostMortem) SignOff(role, by, note string, at time.Time) error {
	if role != RoleCommander && role != RoleExecutive {
		return invalid("role", "%q, want %s or %s", role, RoleCommander, RoleExecutive)
	}
	if s := pm.signedBy(role); s != nil {
		return fmt.Errorf("%w: revision %d is signed off as %s by %s already", ErrSignOff,
			pm.Revision, role, s.By)
	}
	pm.SignOffs = append(pm.SignOffs, SignOff{Role: role, By: by, At: at.UTC(),
		Revision: pm.Revision, Note: strings.TrimSpace(note)})
	return nil
}

// changed marks a change of the content: a new revision, so that earlier
// sign-offs no longer count.
func (pm *PostMortem) changed() { pm.Revision++ }

// SetSummary replaces the technical summary and the actors.
func (pm *PostMortem) SetSummary(summary string, actors []string) error {
	summary = strings.TrimSpace(summary)
	if summary == "" {
		return invalid("summary", "must not be empty")
	}
	var clean []string
	for _, a := range actors {
		if a = strings.TrimSpace(a); a != "" && !slices.Contains(clean, a) {
			clean = append(clean, a)
		}
	}
	if clean == nil {
		clean = []string{}
	}
	pm.Summary, pm.Actors = summary, clean
	pm.changed()
	return nil
}

// AddFinding checks f, numbers it and adds it. Evidence of type timeline
// must name an entry of the timeline; the caller checks the other types
// against the incident.
func (pm *PostMortem) AddFinding(f Finding) (*Finding, error) {
	if err := pm.checkFinding(&f); err != nil {
		return nil, err
	}
	f.ID = len(pm.Findings) + 1
	pm.Findings = append(pm.Findings, f)
	pm.changed()
	return &pm.Findings[len(pm.Findings)-1], nil
}

// UpdateFinding replaces the category, title, description and evidence of
// finding id.
func (pm *PostMortem) UpdateFinding(id int, f Finding, at time.Time) (*Finding, error) {
	if id < 1 || id > len(pm.Findings) {
		return nil, invalid("finding", "no finding %d", id)
	}
	if err := pm.checkFinding(&f); err != nil {
		return nil, err
	}
	cur := &pm.Findings[id-1]
	cur.Category, cur.Title, cur.Description, cur.Evidence = f.Category, f.Title,
		f.Description, f.Evidence
	cur.Updated = at.UTC()
	pm.changed()
	return cur, nil
}

// checkFinding trims f and checks its fields.
func (pm *PostMortem) checkFinding(f *Finding) error {
	f.Title, f.Description = strings.TrimSpace(f.Title), strings.TrimSpace(f.Description)
	switch {
	case !slices.Contains(Categories(), f.Category):
		return invalid("category", "%q, want one of %v", f.Category, Categories())
	case f.Title == "":
		return invalid("title", "must not be empty")
	case len(f.Evidence) == 0:
		return invalid("evidence", "a finding needs at least one piece of evidence")
	}
	for i, r := range f.Evidence {
		field := "evidence[" + strconv.Itoa(i) + "]"
		if !slices.Contains(RefTypes(), r.Type) {
			return invalid(field+".type", "%q, want one of %v", r.Type, RefTypes())
		}
		n, err := strconv.ParseInt(r.ID, 10, 64)
		if err != nil || n < 1 {
			return invalid(field+".id", "%q is not an ID", r.ID)
		}
		if r.Type == "timeline" && n > int64(len(pm.Timeline)) {
			return invalid(field+".id", "the timeline has no entry %d", n)
		}
	}
	return nil
}
