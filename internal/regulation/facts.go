package regulation

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Truth is what is known about a yes-or-no fact of an incident.
type Truth string

// The three states of a fact. The zero Truth is Unknown.
const (
	Unknown Truth = ""
	Yes     Truth = "yes"
	No      Truth = "no"
)

// FactKind says what a fact holds.
type FactKind int

// Kinds of facts.
const (
	// KindEvent is a moment: awareness, a determination, a payment. Yes
	// needs At, the moment it happened; No says it did not happen (the
	// incident was classified as not major, no ransom was paid).
	KindEvent FactKind = iota + 1
	// KindBool is a yes-or-no finding; At, when set, is when it became
	// known (and a clock may start from it).
	KindBool
	// KindCount is a number (affected individuals), with optional counts
	// per jurisdiction.
	KindCount
)

// Fact names, the vocabulary of the catalog's triggers and clocks.
const (
	// FactAwareness: the provider became aware of (identified, discovered)
	// the incident. Most clocks start here.
	FactAwareness = "awareness"
	// FactDetermination: the provider determined that a reportable breach
	// or incident occurred (NYDFS "determining", PDPA "assesses that it is
	// notifiable", PIPEDA "real risk of significant harm").
	FactDetermination = "determination"
	// FactClassification: the incident was classified as major (DORA) or
	// significant (NIS2). No: classified as not major.
	FactClassification = "classification"
	// FactMateriality: the incident was determined to be material (SEC
	// Item 1.05). No: determined not material.
	FactMateriality = "materiality"
	// FactExtortionPayment: an extortion (ransom) payment was made. No:
	// none was made.
	FactExtortionPayment = "extortion_payment"
	// FactResolved: the incident is resolved and recovery is complete.
	FactResolved = "resolved"

	// FactPersonalData: personal data (personal information) is involved.
	FactPersonalData = "personal_data"
	// FactHealthData: health data (protected health information) is involved.
	FactHealthData = "health_data"
	// FactUnauthorizedAcquisition: data was, or is reasonably believed to
	// have been, acquired by an unauthorized person.
	FactUnauthorizedAcquisition = "unauthorized_acquisition"
	// FactProviderController: the breached personal data is data the
	// provider controls (its own records, such as tenant account contacts),
	// not data it processes for a tenant. Decides GDPR Art. 33(1) against
	// Art. 33(2).
	FactProviderController = "provider_controller"
	// FactRisk: the breach is likely to result in a risk to individuals.
	// No: unlikely to (GDPR Art. 33(1) exemption).
	FactRisk = "risk_to_individuals"
	// FactHighRisk: the breach is likely to result in a high risk to
	// individuals (GDPR Art. 34).
	FactHighRisk = "high_risk_to_individuals"

	// FactAffectedIndividuals: how many individuals are affected, in total
	// and per jurisdiction of residence.
	FactAffectedIndividuals = "affected_individuals"
)

// factKinds is the fact vocabulary.
var factKinds = map[string]FactKind{
	FactAwareness: KindEvent, FactDetermination: KindEvent, FactClassification: KindEvent,
	FactMateriality: KindEvent, FactExtortionPayment: KindEvent, FactResolved: KindEvent,
	FactPersonalData: KindBool, FactHealthData: KindBool, FactUnauthorizedAcquisition: KindBool,
	FactProviderController: KindBool, FactRisk: KindBool, FactHighRisk: KindBool,
	FactAffectedIndividuals: KindCount,
}

// FactNames lists every fact name, sorted.
func FactNames() []string {
	names := make([]string, 0, len(factKinds))
	for n := range factKinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// KindOf returns the kind of the named fact, or 0 if the name is unknown.
func KindOf(name string) FactKind { return factKinds[name] }

// Fact is what is known about one fact of an incident, and when it was
// recorded. The zero Fact is unknown.
type Fact struct {
	// Truth: Yes, No or Unknown. A count fact is Yes when Count is known.
	Truth Truth `json:"truth,omitempty"`
	// At is when it happened (events) or became known (yes-or-no facts).
	At time.Time `json:"at,omitzero"`
	// Count is the total, for count facts.
	Count int64 `json:"count,omitempty"`
	// Residents are counts per jurisdiction (ISO 3166 codes such as
	// "US-CA"), for count facts; a missing code is unknown.
	Residents map[string]int64 `json:"residents,omitempty"`
	// RecordedAt is when Vigil was told.
	RecordedAt time.Time `json:"recorded_at,omitzero"`
	// Note says who established it and how, for the explanation.
	Note string `json:"note,omitempty"`
}

// Facts are an incident's facts by name (see FactNames). A missing name is
// unknown.
type Facts map[string]Fact

// Validate checks the names and that each fact is complete for its kind.
func (fs Facts) Validate() error {
	for _, name := range sortedKeys(fs) {
		f := fs[name]
		kind := factKinds[name]
		switch {
		case kind == 0:
			return fmt.Errorf("fact %q: unknown; want one of %s", name,
				strings.Join(FactNames(), ", "))
		case f.Truth != Unknown && f.Truth != Yes && f.Truth != No:
			return fmt.Errorf("fact %s: truth %q: want yes, no or empty", name, f.Truth)
		case kind == KindEvent && f.Truth == Yes && f.At.IsZero():
			return fmt.Errorf("fact %s: yes needs the time it happened", name)
		case f.Count < 0:
			return fmt.Errorf("fact %s: count %d is negative", name, f.Count)
		case kind != KindCount && (f.Count != 0 || len(f.Residents) > 0):
			return fmt.Errorf("fact %s: not a count", name)
		}
		for code, n := range f.Residents {
			if err := CheckJurisdiction(code); err != nil {
				return fmt.Errorf("fact %s: residents: %w", name, err)
			}
			if n < 0 {
				return fmt.Errorf("fact %s: residents %s: %d: want a count of zero or more",
					name, code, n)
			}
		}
	}
	return nil
}

// with returns fs overlaid by over (over wins), without changing either.
func (fs Facts) with(over Facts) Facts {
	if len(over) == 0 {
		return fs
	}
	out := make(Facts, len(fs)+len(over))
	for k, v := range fs {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// describe says what is known about the fact, for an explanation:
// "materiality: yes at 2026-07-02 14:00 UTC (recorded 2026-07-02 15:10 UTC)".
func (f Fact) describe(name string) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteString(": ")
	switch {
	case factKinds[name] == KindCount && f.Truth != No:
		fmt.Fprintf(&b, "%d", f.Count)
		for _, code := range sortedKeys(f.Residents) {
			fmt.Fprintf(&b, ", %d in %s", f.Residents[code], code)
		}
	case f.Truth == Unknown:
		b.WriteString("unknown")
	default:
		b.WriteString(string(f.Truth))
	}
	if !f.At.IsZero() {
		b.WriteString(" at " + formatUTC(f.At))
	}
	if !f.RecordedAt.IsZero() {
		b.WriteString(" (recorded " + formatUTC(f.RecordedAt) + ")")
	}
	if f.Note != "" {
		b.WriteString(": " + f.Note)
	}
	return b.String()
}

func formatUTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
