package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// incidentPatch is the body of PATCH /api/v1/incidents/{id}: the editable
// fields; an absent field is left as it is.
type incidentPatch struct {
	Title               *string                     `json:"title"`
	Summary             *string                     `json:"summary"`
	PotentialImpact     *string                     `json:"potential_impact"`
	Category            *incident.Category          `json:"category"`
	AttackVector        *incident.AttackVector      `json:"attack_vector"`
	Cause               *string                     `json:"cause"`
	BusinessImpact      *string                     `json:"business_impact"`
	NextSteps           *[]string                   `json:"next_steps"`
	Resources           *incident.Resources         `json:"resources"`
	Contacts            *[]incident.Contact         `json:"contacts"`
	Factors             *incident.Factors           `json:"factors"`
	Severity            *severityInput              `json:"severity"`
	EradicationSteps    *[]incident.EradicationStep `json:"eradication_steps"`
	RecoveryChecks      *[]incident.CheckItem       `json:"recovery_checks"`
	PostMortemSignedOff *bool                       `json:"post_mortem_signed_off"`
}

// severityInput is a severity decision as sent: the criteria, and the level
// decided with its reason. A missing level takes the policy's suggestion.
type severityInput struct {
	Criteria incident.SeverityCriteria `json:"criteria"`
	Decided  *incident.Level           `json:"decided"`
	Reason   string                    `json:"reason"`
}

// patchIncident answers PATCH /api/v1/incidents/{id}; If-Match is required.
func (s *server) patchIncident(w http.ResponseWriter, r *http.Request) {
	var p incidentPatch
	if err := decodeChange(r, &p); err != nil {
		writeRequestError(w, err)
		return
	}
	s.change(w, r, true, func(rec *store.IncidentRecord, by string, now time.Time) ([]note,
		error) {
		fields, err := p.apply(rec, by, now)
		if err != nil {
			return nil, err
		}
		return []note{{audit.IncidentUpdated, map[string]any{"fields": fields}}}, nil
	})
}

// apply edits rec and returns the names of the fields sent.
func (p *incidentPatch) apply(rec *store.IncidentRecord, by string, now time.Time) ([]string,
	error) {
	r := &rec.Record
	var fields []string
	set := func(name string, dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
			fields = append(fields, name)
		}
	}
	set("title", &r.Title, p.Title)
	set("summary", &r.Summary, p.Summary)
	set("potential_impact", &r.PotentialImpact, p.PotentialImpact)
	set("cause", &r.Cause, p.Cause)
	set("business_impact", &r.BusinessImpact, p.BusinessImpact)
	if p.Title != nil && r.Title == "" {
		return nil, invalid("title", "must not be empty")
	}
	if err := p.applyLists(rec, &fields); err != nil {
		return nil, err
	}
	if p.Factors != nil {
		if err := p.Factors.Validate(); err != nil {
			return nil, invalid("factors", "%v", err)
		}
		r.Factors = *p.Factors
		r.Priority, r.PriorityExplanation = incident.DefaultPriorityPolicy().Derive(r.Factors)
		fields = append(fields, "factors")
	}
	if p.Severity != nil {
		if err := p.Severity.decide(r, by, now); err != nil {
			return nil, err
		}
		fields = append(fields, "severity")
	}
	if err := r.Validate(); err != nil {
		return nil, invalid("record", "%v", err)
	}
	return fields, nil
}

// applyLists edits the enumerated and list fields of rec.
func (p *incidentPatch) applyLists(rec *store.IncidentRecord, fields *[]string) error {
	r, g := &rec.Record, &rec.Gates
	if p.Category != nil {
		if *p.Category != "" && !slices.Contains(incident.Categories(), *p.Category) {
			return invalid("category", "%q is not one of %v", *p.Category, incident.Categories())
		}
		r.Category = *p.Category
		*fields = append(*fields, "category")
	}
	if p.AttackVector != nil {
		if *p.AttackVector != "" && !slices.Contains(incident.AttackVectors(), *p.AttackVector) {
			return invalid("attack_vector", "%q is not one of %v", *p.AttackVector,
				incident.AttackVectors())
		}
		r.AttackVector = *p.AttackVector
		*fields = append(*fields, "attack_vector")
	}
	if p.NextSteps != nil {
		r.NextSteps, *fields = *p.NextSteps, append(*fields, "next_steps")
	}
	if p.Resources != nil {
		r.Resources, *fields = *p.Resources, append(*fields, "resources")
	}
	if p.Contacts != nil {
		for i, c := range *p.Contacts {
			if strings.TrimSpace(c.Name) == "" {
				return invalid("contacts", "[%d]: name must not be empty", i)
			}
		}
		r.Contacts, *fields = *p.Contacts, append(*fields, "contacts")
	}
	if p.EradicationSteps != nil {
		for i, st := range *p.EradicationSteps {
			if strings.TrimSpace(st.ID) == "" {
				return invalid("eradication_steps", "[%d]: id must not be empty", i)
			}
		}
		g.EradicationSteps = *p.EradicationSteps
		*fields = append(*fields, "eradication_steps")
	}
	if p.RecoveryChecks != nil {
		g.RecoveryChecks, *fields = *p.RecoveryChecks, append(*fields, "recovery_checks")
	}
	if p.PostMortemSignedOff != nil {
		return invalid("post_mortem_signed_off", "is set by signing the post-mortem off "+
			"(POST /api/v1/incidents/{id}/postmortem/signoffs, as the commander and an executive)")
	}
	return nil
}

// decide appends the severity decision: the default policy's suggestion
// from the criteria and the level decided (the suggestion when absent).
func (in *severityInput) decide(r *incident.Record, by string, now time.Time) error {
	if err := in.Criteria.Validate(); err != nil {
		return invalid("severity.criteria", "%v", err)
	}
	suggested, expl := incident.DefaultSeverityPolicy().Suggest(in.Criteria)
	d := incident.SeverityDecision{Criteria: in.Criteria, Suggested: suggested,
		Explanation: expl, Decided: suggested, By: by, At: now,
		Reason: strings.TrimSpace(in.Reason)}
	if in.Decided != nil {
		d.Decided = *in.Decided
	}
	err := d.Validate()
	switch {
	case errors.Is(err, incident.ErrReasonRequired):
		return invalid("severity.reason", "%v", err)
	case err != nil:
		return invalid("severity.decided", "%v", err)
	}
	r.Severity = append(r.Severity, d)
	return nil
}
