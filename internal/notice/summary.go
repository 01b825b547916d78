package notice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/plan"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
)

// summary builds what a notice to tenant (empty for an authority) says
// about the incident, from its record: title and description, the effect
// on the tenant's data (the paths that made it affected and the data
// categories it keeps with the provider), the provider's done tasks as
// actions taken, and the configured contact point.
func (s *Service) summary(ctx context.Context, rec *store.IncidentRecord,
	tenant string) (regulation.Summary, error) {
	r := rec.Record
	sum := regulation.Summary{IncidentID: r.Number, Title: r.Title, Provider: s.cfg.Provider,
		Description: strings.TrimSpace(r.Summary), Contact: s.cfg.Contact,
		SuggestedActions: slices.Clone(s.cfg.SuggestedActions),
		Elements:         map[string]string{}}
	if sum.Description == "" {
		sum.Description = strings.TrimSpace(r.PotentialImpact)
	}
	tasks, err := s.cfg.Store.ListTasks(ctx, rec.ID)
	if err != nil {
		return sum, fmt.Errorf("tasks of incident %d: %w", rec.ID, err)
	}
	for _, t := range tasks {
		if t.Status == plan.StatusDone {
			sum.ActionsTaken = append(sum.ActionsTaken, t.Title)
		}
	}
	var times []string
	if !r.Detected.IsZero() {
		times = append(times, "detected "+r.Detected.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if !r.Reported.IsZero() {
		times = append(times, "reported "+r.Reported.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if len(times) > 0 {
		sum.Elements[regulation.ElemTimeline] = strings.Join(times, "; ")
	}
	if len(r.Indicators) > 0 {
		var ind []string
		for _, i := range r.Indicators {
			ind = append(ind, "- "+i.Value)
		}
		sum.Elements[regulation.ElemIndicators] = strings.Join(ind, "\n")
	}
	if tenant == "" {
		return sum, nil
	}
	t, err := s.cfg.Store.GetTenant(ctx, tenant)
	if err != nil {
		return sum, fmt.Errorf("tenant %s: %w", tenant, err)
	}
	sum.Tenant = t.Name
	if cats := t.Profile.DataCategories; len(cats) > 0 {
		sum.Elements[regulation.ElemDataCategories] = strings.Join(cats, ", ")
	}
	affected, err := s.cfg.Store.ListAffectedTenants(ctx, rec.ID, tenant)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return sum, fmt.Errorf("affected tenant %s: %w", tenant, err)
	}
	sum.TenantEffect = tenantEffect(affected, t.Profile.DataCategories)
	return sum, nil
}

// tenantEffect says how the incident touches a tenant: the paths that made
// it affected and the kinds of data it keeps with the provider.
func tenantEffect(affected []store.AffectedTenant, cats []string) string {
	var paths []string
	for _, a := range affected {
		for _, p := range a.Paths {
			paths = append(paths, p.Text)
		}
	}
	if len(paths) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("Your services are affected through:\n")
	for _, p := range paths {
		b.WriteString("- " + p + "\n")
	}
	if len(cats) > 0 {
		b.WriteString("Data you keep with us there: " + strings.Join(cats, ", ") + ".")
	}
	return strings.TrimSpace(b.String())
}

// langs maps a jurisdiction to the language a notice to a tenant there is
// drafted in, when the catalog has a template in it.
var langs = map[string]string{"DE": "de", "AT": "de", "LI": "de", "CH": "de", "FR": "fr",
	"BE": "fr", "LU": "fr", "ES": "es", "IT": "it", "NL": "nl", "PT": "pt", "BR": "pt"}

// language picks the language of a notice: the one asked for, else the
// tenant's own language (scope.Tenant.Language) when the catalog has a
// template in it for the regime and stage, else that of the tenant's first
// jurisdiction with such a template, else English.
func (s *Service) language(ctx context.Context, key regulation.Key, asked string) string {
	have := s.cfg.Catalog.Languages(key.Regime, key.Stage)
	if asked != "" {
		return asked
	}
	if key.Tenant == "" {
		return "en"
	}
	t, err := s.cfg.Store.GetTenant(ctx, key.Tenant)
	if err != nil {
		return "en"
	}
	if t.Language != "" && slices.Contains(have, t.Language) {
		return t.Language
	}
	for _, j := range t.Profile.Jurisdictions {
		country, _, _ := strings.Cut(j, "-")
		if l, ok := langs[country]; ok && slices.Contains(have, l) {
			return l
		}
	}
	return "en"
}
