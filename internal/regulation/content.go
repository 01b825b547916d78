package regulation

import (
	"fmt"
	"sort"
	"strings"
)

// Content elements a notice may be required to hold (Stage.Content). A
// notice template shows each with {{element "name"}}; the catalog check
// fails when a template leaves out a required one.
const (
	ElemDescription        = "description"         // what happened: nature of the incident or breach
	ElemTenantEffect       = "tenant-effect"       // the effect on the recipient tenant's data, if any
	ElemTimeline           = "timeline"            // when it began, was discovered, was contained
	ElemDataCategories     = "data-categories"     // categories of data and of data subjects concerned
	ElemIndividualsCount   = "individuals-count"   // approximate number of individuals and records
	ElemLikelyConsequences = "likely-consequences" // likely consequences for people or the service
	ElemMeasuresTaken      = "measures-taken"      // measures taken or proposed by the provider
	ElemRecommended        = "recommended-actions" // what the recipient should do
	ElemContactPoint       = "contact-point"       // whom to ask (DPO or incident contact)
	ElemSeverityImpact     = "severity-impact"     // severity and impact assessment
	ElemIndicators         = "indicators"          // indicators of compromise
	ElemMaliciousAct       = "malicious-act"       // whether unlawful or malicious acts are suspected
	ElemCrossBorder        = "cross-border-impact" // whether other countries are affected
	ElemAffectedServices   = "affected-services"   // services and functions affected
	ElemClassification     = "classification"      // the classification criteria met (DORA)
	ElemMaterialImpact     = "material-impact"     // material aspects and impact (SEC Item 1.05)
	ElemRootCause          = "root-cause"          // root cause analysis
	ElemRecovery           = "recovery"            // recovery status and actions
	ElemLessonsLearned     = "lessons-learned"     // lessons learned and changes made
	ElemExtortionPayment   = "extortion-payment"   // reasons for the payment, alternatives, diligence
)

// elementLabels are the headings of the content elements, by language.
var elementLabels = map[string]map[string]string{
	"en": {
		ElemDescription:        "Description of the incident",
		ElemTenantEffect:       "Effect on your data",
		ElemTimeline:           "Timeline",
		ElemDataCategories:     "Categories of data and individuals concerned",
		ElemIndividualsCount:   "Approximate number of individuals and records concerned",
		ElemLikelyConsequences: "Likely consequences",
		ElemMeasuresTaken:      "Measures taken or proposed",
		ElemRecommended:        "Actions we recommend",
		ElemContactPoint:       "Contact point",
		ElemSeverityImpact:     "Severity and impact",
		ElemIndicators:         "Indicators of compromise",
		ElemMaliciousAct:       "Suspected unlawful or malicious act",
		ElemCrossBorder:        "Cross-border impact",
		ElemAffectedServices:   "Affected services",
		ElemClassification:     "Classification criteria met",
		ElemMaterialImpact:     "Material aspects and impact",
		ElemRootCause:          "Root cause",
		ElemRecovery:           "Recovery",
		ElemLessonsLearned:     "Lessons learned",
		ElemExtortionPayment:   "Extortion payment: reasons, alternatives considered, diligence",
	},
	"de": {
		ElemDescription:        "Beschreibung des Vorfalls",
		ElemTenantEffect:       "Auswirkung auf Ihre Daten",
		ElemTimeline:           "Zeitlicher Ablauf",
		ElemDataCategories:     "Kategorien betroffener Daten und Personen",
		ElemIndividualsCount:   "Ungefähre Zahl der betroffenen Personen und Datensätze",
		ElemLikelyConsequences: "Wahrscheinliche Folgen",
		ElemMeasuresTaken:      "Ergriffene oder vorgeschlagene Maßnahmen",
		ElemRecommended:        "Empfohlene Maßnahmen",
		ElemContactPoint:       "Anlaufstelle",
		ElemSeverityImpact:     "Schweregrad und Auswirkungen",
		ElemIndicators:         "Kompromittierungsindikatoren",
		ElemMaliciousAct:       "Verdacht auf rechtswidrige oder böswillige Handlung",
		ElemCrossBorder:        "Grenzüberschreitende Auswirkungen",
		ElemAffectedServices:   "Betroffene Dienste",
		ElemClassification:     "Erfüllte Klassifizierungskriterien",
		ElemMaterialImpact:     "Wesentliche Aspekte und Auswirkungen",
		ElemRootCause:          "Grundursache",
		ElemRecovery:           "Wiederherstellung",
		ElemLessonsLearned:     "Gewonnene Erkenntnisse",
		ElemExtortionPayment:   "Erpressungszahlung: Gründe, geprüfte Alternativen, Sorgfaltsprüfung",
	},
}

// ContentElements lists every content element name, sorted.
func ContentElements() []string {
	names := make([]string, 0, len(elementLabels["en"]))
	for n := range elementLabels["en"] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ElementLabel returns the heading of a content element in a language,
// falling back to English.
func ElementLabel(name, lang string) string {
	if l, ok := elementLabels[lang][name]; ok {
		return l
	}
	return elementLabels["en"][name]
}

// placeholders mark a required element nobody filled in yet, by language.
var placeholders = map[string]string{
	"en": "[to be completed: %s]",
	"de": "[noch zu ergänzen: %s]",
}

// Unfilled returns the elements of missing (a draft's Missing, in lang)
// whose placeholder text still appears in text: after an edit, those that
// nobody completed yet. It never returns nil.
func Unfilled(lang string, missing []string, text string) []string {
	form, ok := placeholders[lang]
	if !ok {
		form = placeholders["en"]
	}
	out := []string{}
	for _, name := range missing {
		if strings.Contains(text, fmt.Sprintf(form, ElementLabel(name, lang))) {
			out = append(out, name)
		}
	}
	return out
}
