package regulation

import (
	"fmt"
	"strings"
)

// iso3166Alpha2 lists the 249 officially assigned ISO 3166-1 alpha-2
// codes, one line per first letter. Reserved and user-assigned codes (UK,
// EU, EL, XK) are not in it.
const iso3166Alpha2 = `
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
DE DJ DK DM DO DZ
EC EE EG EH ER ES ET
FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ
LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ
OM
PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA
RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG UM US UY UZ
VA VC VE VG VI VN VU
WF WS
YE YT
ZA ZM ZW
`

// usSubdivisions lists the ISO 3166-2:US codes after "US-": the 50
// states, the District of Columbia and the outlying territories.
const usSubdivisions = `
AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO
MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY
DC AS GU MP PR UM VI
`

var (
	countries = wordSet(iso3166Alpha2)
	usStates  = wordSet(usSubdivisions)
)

// misnamed are codes people write for a country whose ISO code differs.
var misnamed = map[string]string{
	"UK": `the United Kingdom is "GB"`,
	"EL": `Greece is "GR"`,
}

func wordSet(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// IsJurisdiction reports whether code is an assigned ISO 3166-1 alpha-2
// code ("DE") or an ISO 3166-2 code of a US state, DC or territory
// ("US-CA"), the codes a tenant's profile accepts.
func IsJurisdiction(code string) bool {
	if st, ok := strings.CutPrefix(code, "US-"); ok {
		return usStates[st]
	}
	return countries[code]
}

// CheckJurisdiction returns nil when IsJurisdiction(code), else an error
// that says what is wrong and, where it can, which code was meant:
// `"UK" is not an ISO 3166-1 code; the United Kingdom is "GB"`.
func CheckJurisdiction(code string) error {
	if IsJurisdiction(code) {
		return nil
	}
	if hint, ok := misnamed[code]; ok {
		return fmt.Errorf("%q is not an ISO 3166-1 code; %s", code, hint)
	}
	if code == "EU" || code == "EEA" {
		return fmt.Errorf("%q is not a country; list the member states one by one"+
			" (DE, FR, ...)", code)
	}
	if up := strings.ToUpper(code); up != code && IsJurisdiction(up) {
		return fmt.Errorf("%q: write ISO codes in capitals: %q", code, up)
	}
	if st, ok := strings.CutPrefix(code, "US-"); ok {
		return fmt.Errorf("%q: %q is not a US state, DC or territory code (ISO 3166-2:US,"+
			" such as US-CA)", code, st)
	}
	if before, after, ok := strings.Cut(code, "-"); ok {
		for _, c := range []string{before, after} {
			if countries[c] {
				return fmt.Errorf("%q: subdivisions are accepted for US states only;"+
					" use %q", code, c)
			}
		}
	}
	return fmt.Errorf("%q is not an assigned ISO 3166-1 alpha-2 code or US-state code"+
		" (such as DE, GB or US-CA)", code)
}
