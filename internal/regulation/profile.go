// Package regulation owns what the law asks of Vigil's operator after an
// incident: the vocabulary of tenant profiles (jurisdictions, regulated
// roles, data categories), the regulation catalog, and the obligations an
// incident creates for each tenant or authority, with their deadlines. It
// does not store obligations nor deliver notices; internal/store and
// internal/notify do.
//
// The catalog is data, not legal advice: operators replace it.
package regulation

import (
	"fmt"
	"slices"
	"strings"
)

// Profile is what a regulation's trigger looks at in a tenant: where it
// is, what it is, and what data it keeps with the provider. The zero
// Profile triggers nothing but the regimes that apply to everyone.
type Profile struct {
	// Jurisdictions are assigned ISO 3166-1 alpha-2 country codes ("DE",
	// "US", "GB") and ISO 3166-2 codes of US states, DC and territories
	// ("US-CA", "US-NY"); see IsJurisdiction. The pseudo-codes "EU" and
	// "EEA" are not accepted: list the member states; membership is
	// derived (see InEU).
	Jurisdictions []string `json:"jurisdictions" yaml:"jurisdictions"`

	// Roles are the regulated roles of the tenant, from Roles.
	Roles []string `json:"roles" yaml:"roles"`

	// DataCategories are the kinds of data the tenant keeps with the
	// provider, from DataCategories.
	DataCategories []string `json:"data_categories" yaml:"data_categories"`
}

// Regulated roles a tenant may hold.
const (
	RoleHIPAACoveredEntity  = "hipaa-covered-entity"  // US HIPAA covered entity
	RoleDORAFinancialEntity = "dora-financial-entity" // EU financial entity under DORA
	RoleNIS2EssentialEntity = "nis2-essential-entity" // essential entity under NIS2
	RoleNIS2ImportantEntity = "nis2-important-entity" // important entity under NIS2
	RoleSECRegistrant       = "sec-registrant"        // US listed company (Form 8-K)
	RoleNYDFSCoveredEntity  = "nydfs-covered-entity"  // New York DFS-regulated (23 NYCRR 500)
	RoleFedRAMPAgency       = "fedramp-agency"        // US federal agency customer
)

// Roles lists every accepted role, sorted.
var Roles = sorted(RoleHIPAACoveredEntity, RoleDORAFinancialEntity, RoleNIS2EssentialEntity,
	RoleNIS2ImportantEntity, RoleSECRegistrant, RoleNYDFSCoveredEntity, RoleFedRAMPAgency)

// Data categories a tenant may keep with the provider.
const (
	DataPersonal    = "personal"     // personal data / personal information
	DataHealth      = "health"       // protected health information
	DataPaymentCard = "payment-card" // cardholder data
	DataGovernment  = "government"   // US federal government data
	DataFinancial   = "financial"    // account and financial records
)

// DataCategories lists every accepted data category, sorted.
var DataCategories = sorted(DataPersonal, DataHealth, DataPaymentCard, DataGovernment,
	DataFinancial)

// euMembers are the EU member states (ISO 3166-1 alpha-2).
var euMembers = sorted("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR",
	"HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE")

// InEU reports whether code names an EU member state.
func InEU(code string) bool {
	_, ok := slices.BinarySearch(euMembers, code)
	return ok
}

// FieldError is a profile value outside the vocabulary: the field
// ("jurisdictions", "roles" or "data_categories"), the value's index in
// it, and why. Its message reads "jurisdictions[1]: reason".
type FieldError struct {
	Field  string
	Index  int
	Reason string
}

// Error returns "field[index]: reason".
func (e *FieldError) Error() string {
	return fmt.Sprintf("%s[%d]: %s", e.Field, e.Index, e.Reason)
}

// Validate checks every value of p against the vocabulary and names the
// first that is not in it with a *FieldError. Jurisdictions must be
// assigned ISO 3166-1 alpha-2 codes or US-state codes (CheckJurisdiction).
func (p Profile) Validate() error {
	for i, j := range p.Jurisdictions {
		if err := CheckJurisdiction(j); err != nil {
			return &FieldError{Field: "jurisdictions", Index: i, Reason: err.Error()}
		}
	}
	if err := inList("roles", p.Roles, Roles); err != nil {
		return err
	}
	return inList("data_categories", p.DataCategories, DataCategories)
}

func inList(field string, values, allowed []string) error {
	for i, v := range values {
		if _, ok := slices.BinarySearch(allowed, v); !ok {
			return &FieldError{Field: field, Index: i, Reason: fmt.Sprintf(
				"unknown value %q; want one of %s", v, strings.Join(allowed, ", "))}
		}
	}
	return nil
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}
