package regulation

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ts(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// scenarioTenants are the tenants of the expected table: one per kind of
// customer a cloud provider has.
func scenarioTenants() []Tenant {
	p := func(j, roles, data []string) Profile {
		return Profile{Jurisdictions: j, Roles: roles, DataCategories: data}
	}
	return []Tenant{
		{ID: "klinikum", Name: "EU health company", Profile: p([]string{"DE"},
			[]string{RoleNIS2EssentialEntity}, []string{DataPersonal, DataHealth})},
		{ID: "acme", Name: "US listed company", Profile: p([]string{"US", "US-DE"},
			[]string{RoleSECRegistrant}, []string{DataPersonal})},
		{ID: "hudson-bank", Name: "NY DFS bank", Profile: p([]string{"US", "US-NY"},
			[]string{RoleNYDFSCoveredEntity}, []string{DataPersonal, DataFinancial})},
		{ID: "agency", Name: "Federal agency", Profile: p([]string{"US"},
			[]string{RoleFedRAMPAgency}, []string{DataGovernment})},
		{ID: "lojas", Name: "Brazilian retailer", Profile: p([]string{"BR"}, nil,
			[]string{DataPersonal, DataPaymentCard})},
		{ID: "saas-in", Name: "Indian SaaS", Profile: p([]string{"IN"}, nil,
			[]string{DataPersonal})},
		{ID: "sg-firm", Name: "Singapore firm", Profile: p([]string{"SG"}, nil,
			[]string{DataPersonal})},
		{ID: "uk-firm", Name: "UK firm", Profile: p([]string{"GB"}, nil, []string{DataPersonal})},
		{ID: "banque", Name: "French bank under DORA", Profile: p([]string{"FR"},
			[]string{RoleDORAFinancialEntity}, []string{DataPersonal, DataFinancial})},
	}
}

// scenarioFacts: the provider became aware on Wednesday 1 July 2026 at
// 09:00 UTC; the SEC materiality determination on Thursday 2 July is
// followed by the Independence Day holiday (observed Friday 3 July) and
// a weekend.
func scenarioFacts(t testing.TB) Facts {
	rec := ts(t, "2026-07-02T16:00:00Z")
	return Facts{
		FactAwareness:          {Truth: Yes, At: ts(t, "2026-07-01T09:00:00Z"), RecordedAt: rec},
		FactDetermination:      {Truth: Yes, At: ts(t, "2026-07-01T15:00:00Z"), RecordedAt: rec},
		FactPersonalData:       {Truth: Yes, At: ts(t, "2026-07-01T12:00:00Z"), RecordedAt: rec},
		FactProviderController: {Truth: No, RecordedAt: rec},
		FactClassification:     {Truth: Yes, At: ts(t, "2026-07-01T20:00:00Z"), RecordedAt: rec},
		FactMateriality:        {Truth: Yes, At: ts(t, "2026-07-02T14:00:00Z"), RecordedAt: rec},
		FactExtortionPayment:   {Truth: No, RecordedAt: rec},
		FactRisk:               {Truth: Yes, RecordedAt: rec},
	}
}

// row is one line of an expected table: key, status, deadline (RFC 3339,
// "" for none) and whether the deadline is statutory.
type row struct {
	key       string
	status    Status
	deadline  string
	statutory bool
}

func rows(obs []Obligation) []row {
	out := make([]row, len(obs))
	for i, o := range obs {
		d := ""
		if !o.Deadline.IsZero() {
			d = o.Deadline.UTC().Format(time.RFC3339)
		}
		out[i] = row{o.Key.String(), o.Status, d, o.Statutory}
	}
	return out
}

// TestScenarioObligations is the expected table of the issue: every
// obligation and deadline for nine tenants, worked out by hand from the
// regimes' rules.
func TestScenarioObligations(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	obs, err := c.Compute(Input{Facts: scenarioFacts(t), Tenants: scenarioTenants()})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		// CERT-In: 6 hours from awareness, once for the incident.
		{"cert-in/report", StatusDue, "2026-07-01T15:00:00Z", true},
		// DORA: classified at 20:00; 4 hours from classification comes
		// before 24 hours from awareness (09:00 on 2 July).
		{"dora-art19/final@banque", StatusDue, "2026-08-05T00:00:00Z", true},
		{"dora-art19/initial@banque", StatusDue, "2026-07-02T00:00:00Z", true},
		{"dora-art19/intermediate@banque", StatusDue, "2026-07-05T00:00:00Z", true},
		// FedRAMP: 1 hour; the first daily update 24 hours after the
		// initial report's deadline; the final report waits for resolution.
		{"fedramp/final@agency", StatusClockNotStarted, "", false},
		{"fedramp/initial@agency", StatusDue, "2026-07-01T10:00:00Z", true},
		{"fedramp/update@agency#1", StatusDue, "2026-07-02T10:00:00Z", true},
		{"fedramp-pmo/initial", StatusDue, "2026-07-01T10:00:00Z", true},
		// The provider is the processor: Art. 33(1) and 34 are not its duty.
		{"gdpr-art33/notification", StatusNotRequired, "", false},
		{"gdpr-art33-2/notification@banque", StatusDue, "2026-07-02T09:00:00Z", false},
		{"gdpr-art33-2/notification@klinikum", StatusDue, "2026-07-02T09:00:00Z", false},
		{"gdpr-art34/communication", StatusNotRequired, "", false},
		// LGPD: 3 business days from Wednesday 09:00 in Brasília: Thu, Fri,
		// Mon; due at the end of Monday 6 July, local time.
		{"lgpd/anpd@lojas", StatusDue, "2026-07-07T02:59:59Z", true},
		{"lgpd/data-subjects@lojas", StatusDue, "2026-07-07T02:59:59Z", true},
		// NIS2: 24 and 72 hours from awareness, final report one month
		// after the notification's deadline (not sent yet).
		{"nis2-art23/early-warning@klinikum", StatusDue, "2026-07-02T09:00:00Z", true},
		{"nis2-art23/final-report@klinikum", StatusDue, "2026-08-04T09:00:00Z", true},
		{"nis2-art23/notification@klinikum", StatusDue, "2026-07-04T09:00:00Z", true},
		// NYDFS: 72 hours from determination; no extortion payment.
		{"nydfs-500-17/extortion-explanation@hudson-bank", StatusNotRequired, "", false},
		{"nydfs-500-17/extortion-notice@hudson-bank", StatusNotRequired, "", false},
		{"nydfs-500-17/notification@hudson-bank", StatusDue, "2026-07-04T15:00:00Z", true},
		// SEC: 4 business days from Thursday 2 July: Mon 6, Tue 7, Wed 8,
		// Thu 9 (Friday 3 July is a federal holiday), 17:30 in New York.
		{"sec-8k-105/filing@acme", StatusDue, "2026-07-09T21:30:00Z", true},
		{"sg-pdpa-26c/notification@sg-firm", StatusDue, "2026-07-02T09:00:00Z", false},
		{"sg-pdpa-26d/commission@sg-firm", StatusDue, "2026-07-04T15:00:00Z", true},
		// Significant harm is unknown: possible, 24 hours after the PDPC
		// notice's deadline.
		{"sg-pdpa-26d/individuals@sg-firm", StatusPossible, "2026-07-05T15:00:00Z", false},
		{"uk-gdpr-art33/notification", StatusNotRequired, "", false},
		{"uk-gdpr-art33-2/notification@uk-firm", StatusDue, "2026-07-02T09:00:00Z", false},
		{"uk-gdpr-art34/communication", StatusNotRequired, "", false},
		// New York: the number of residents is unknown.
		{"us-ny-899-aa-owner/consumer-reporting-agencies@hudson-bank", StatusPossible,
			"2026-07-31T09:00:00Z", true},
		{"us-ny-899-aa-owner/residents@hudson-bank", StatusDue, "2026-07-31T09:00:00Z", true},
		{"us-ny-899-aa-owner/state-agencies@hudson-bank", StatusDue, "2026-07-31T09:00:00Z", true},
		{"us-ny-899-aa-service/notification@hudson-bank", StatusDue, "2026-07-02T09:00:00Z", false},
	}
	if diff := cmp.Diff(want, rows(obs), cmp.AllowUnexported(row{})); diff != "" {
		t.Errorf("obligations (-want +got):\n%s", diff)
		for _, o := range obs {
			t.Log(o.Explain())
		}
	}

	by := map[string]Obligation{}
	for _, o := range obs {
		by[o.Key.String()] = o
	}
	sec := by["sec-8k-105/filing@acme"]
	if sec.Zone != "America/New_York" || !strings.Contains(sec.Explain(), "17:30 EDT") {
		t.Errorf("the SEC deadline is not shown in New York time:\n%s", sec.Explain())
	}
	if d := by["dora-art19/initial@banque"]; d.Clock != FactClassification ||
		!d.ClockStart.Equal(ts(t, "2026-07-01T20:00:00Z")) {
		t.Errorf("DORA initial clock = %s at %v, want classification at 20:00", d.Clock, d.ClockStart)
	}
	if d := by["dora-art19/intermediate@banque"]; !d.Provisional {
		t.Error("DORA intermediate counted from an unsent initial notification is not provisional")
	}
	if r := by["gdpr-art33/notification"].Reason; !strings.Contains(r, "provider_controller: no") {
		t.Errorf("GDPR Art. 33(1) reason %q does not name provider_controller", r)
	}
	if tr := by["cert-in/report"].Triggers; !slices.Contains(tr,
		"tenant saas-in (Indian SaaS): jurisdiction IN") {
		t.Errorf("CERT-In triggers %q do not name the Indian tenant", tr)
	}
	if tr := by["gdpr-art33-2/notification@klinikum"].Triggers; !slices.ContainsFunc(tr,
		func(s string) bool {
			return strings.HasPrefix(s, "personal_data: yes at 2026-07-01 12:00 UTC (recorded")
		}) {
		t.Errorf("GDPR Art. 33(2) triggers %q do not give the fact and when it was recorded", tr)
	}
}

func TestDORAClock(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	aware := ts(t, "2026-07-01T09:00:00Z")
	bank := []Tenant{scenarioTenants()[8]}
	initial := func(f Facts) Obligation {
		t.Helper()
		obs, err := c.Compute(Input{Facts: f, Tenants: bank})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range obs {
			if o.Key.Stage == "initial" {
				return o
			}
		}
		t.Fatal("no DORA initial notification")
		return Obligation{}
	}
	for _, tc := range []struct {
		name       string
		class      Fact
		status     Status
		deadline   string
		clock      string
		wantReason string
	}{
		{"classified 2 hours after awareness: 4 hours from classification",
			Fact{Truth: Yes, At: aware.Add(2 * time.Hour)}, StatusDue, "2026-07-01T15:00:00Z",
			FactClassification, ""},
		{"classified 22 hours after awareness: 24 hours from awareness",
			Fact{Truth: Yes, At: aware.Add(22 * time.Hour)}, StatusDue, "2026-07-02T09:00:00Z",
			FactAwareness, ""},
		{"classified exactly 20 hours after awareness: both limits meet",
			Fact{Truth: Yes, At: aware.Add(20 * time.Hour)}, StatusDue, "2026-07-02T09:00:00Z",
			FactClassification, ""},
		{"not classified yet: at most 24 hours from awareness", Fact{}, StatusPossible,
			"2026-07-02T09:00:00Z", FactAwareness, ""},
		{"classified as not major", Fact{Truth: No}, StatusNotRequired, "", FactClassification,
			"not required: classification: no"},
	} {
		o := initial(Facts{FactAwareness: {Truth: Yes, At: aware}, FactClassification: tc.class})
		d := ""
		if !o.Deadline.IsZero() {
			d = o.Deadline.Format(time.RFC3339)
		}
		if o.Status != tc.status || d != tc.deadline || o.Clock != tc.clock ||
			!strings.HasPrefix(o.Reason, tc.wantReason) {
			t.Errorf("%s: got %s %s clock %s (%q), want %s %s clock %s\n%s", tc.name, o.Status, d,
				o.Clock, o.Reason, tc.status, tc.deadline, tc.clock, o.Explain())
		}
	}
}

func TestClockNotStarted(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	obs, err := c.Compute(Input{Tenants: []Tenant{scenarioTenants()[1]}})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 1 || obs[0].Status != StatusClockNotStarted ||
		obs[0].Reason != "clock not started: materiality is unknown" ||
		!slices.Equal(obs[0].Unknown, []string{FactMateriality}) {
		t.Fatalf("with no facts, the listed company's obligations = %+v", obs)
	}
}

func TestSentStagesMoveLaterClocks(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	in := Input{Facts: scenarioFacts(t), Tenants: []Tenant{scenarioTenants()[8]},
		Sent: map[Key]time.Time{
			{Regime: "dora-art19", Stage: "initial", Tenant: "banque"}: ts(t, "2026-07-01T22:00:00Z"),
		}}
	obs, err := c.Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Obligation{}
	for _, o := range obs {
		got[o.Key.String()] = o
	}
	im := got["dora-art19/intermediate@banque"]
	if !im.Deadline.Equal(ts(t, "2026-07-04T22:00:00Z")) || im.Provisional {
		t.Errorf("intermediate after the initial was sent at 22:00: %v provisional=%v, want"+
			" 2026-07-04T22:00Z, not provisional", im.Deadline, im.Provisional)
	}
	if f := got["dora-art19/final@banque"]; !f.Deadline.Equal(ts(t, "2026-08-04T22:00:00Z")) ||
		!f.Provisional {
		t.Errorf("final = %v provisional=%v, want 2026-08-04T22:00Z provisional", f.Deadline,
			f.Provisional)
	}
}

func TestRecurringUpdates(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	agency := []Tenant{scenarioTenants()[3]}
	facts := Facts{FactAwareness: {Truth: Yes, At: ts(t, "2026-07-01T09:00:00Z")}}
	key := func(stage string, n int) Key {
		return Key{Regime: "fedramp", Stage: stage, Tenant: "agency", Occurrence: n}
	}
	sent := map[Key]time.Time{
		key("initial", 0): ts(t, "2026-07-01T09:40:00Z"),
		key("update", 1):  ts(t, "2026-07-02T08:00:00Z"),
		key("update", 2):  ts(t, "2026-07-03T07:30:00Z"),
	}
	obs, err := c.Compute(Input{Facts: facts, Tenants: agency, Sent: sent})
	if err != nil {
		t.Fatal(err)
	}
	var upd Obligation
	for _, o := range obs {
		if o.Key.Stage == "update" {
			upd = o
		}
	}
	if upd.Key.Occurrence != 3 || !upd.Deadline.Equal(ts(t, "2026-07-04T07:30:00Z")) {
		t.Errorf("next update = %s due %v, want occurrence 3 due 2026-07-04T07:30Z", upd.Key,
			upd.Deadline)
	}

	facts[FactResolved] = Fact{Truth: Yes, At: ts(t, "2026-07-03T18:00:00Z")}
	obs, err = c.Compute(Input{Facts: facts, Tenants: agency, Sent: sent})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{"fedramp/final@agency", StatusDue, "2026-07-08T18:00:00Z", false},
		{"fedramp/initial@agency", StatusDue, "2026-07-01T10:00:00Z", true},
		{"fedramp/update@agency#3", StatusNotRequired, "", false},
		{"fedramp-pmo/initial", StatusDue, "2026-07-01T10:00:00Z", true},
	}
	if diff := cmp.Diff(want, rows(obs), cmp.AllowUnexported(row{})); diff != "" {
		t.Errorf("after resolution (-want +got):\n%s", diff)
	}
}

func TestThresholds(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	ca := []Tenant{{ID: "shop", Profile: Profile{Jurisdictions: []string{"US-CA"},
		DataCategories: []string{DataPersonal}}}}
	ag := func(residents map[string]int64) Obligation {
		t.Helper()
		f := Facts{
			FactAwareness:               {Truth: Yes, At: ts(t, "2026-07-01T09:00:00Z")},
			FactPersonalData:            {Truth: Yes},
			FactUnauthorizedAcquisition: {Truth: Yes},
			FactProviderController:      {Truth: No},
		}
		if residents != nil {
			f[FactAffectedIndividuals] = Fact{Truth: Yes, Count: 10000, Residents: residents}
		}
		obs, err := c.Compute(Input{Facts: f, Tenants: ca})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range obs {
			if o.Key.Stage == "attorney-general" {
				return o
			}
		}
		t.Fatal("no attorney-general stage")
		return Obligation{}
	}
	// Residents 30 days from awareness, then 15 days for the AG.
	if o := ag(map[string]int64{"US-CA": 501}); o.Status != StatusDue ||
		!o.Deadline.Equal(ts(t, "2026-08-15T09:00:00Z")) {
		t.Errorf("501 California residents: %s %v, want due 2026-08-15T09:00Z", o.Status, o.Deadline)
	}
	if o := ag(map[string]int64{"US-CA": 500}); o.Status != StatusNotRequired ||
		!strings.Contains(o.Reason, "affected residents of US-CA 500 (threshold: more than 500)") {
		t.Errorf("500 California residents: %s %q, want not required naming the threshold",
			o.Status, o.Reason)
	}
	if o := ag(map[string]int64{"US-NY": 9000}); o.Status != StatusPossible {
		t.Errorf("no count for California: %s, want possible", o.Status)
	}
	if o := ag(nil); o.Status != StatusPossible ||
		!slices.Contains(o.Unknown, FactAffectedIndividuals) {
		t.Errorf("unknown count: %s unknown=%v, want possible with the count unknown", o.Status,
			o.Unknown)
	}
}

func TestTenantFactsOverride(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	tenants := scenarioTenants()[:1] // klinikum
	tenants = append(tenants, scenarioTenants()[8])
	tenants[1].Facts = Facts{FactPersonalData: {Truth: No, Note: "only its logs were touched"}}
	obs, err := c.Compute(Input{Facts: scenarioFacts(t), Tenants: tenants})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		if o.Key.Regime != "gdpr-art33-2" {
			continue
		}
		want := StatusDue
		if o.Key.Tenant == "banque" {
			want = StatusNotRequired
			if !strings.Contains(o.Reason, "only its logs were touched") {
				t.Errorf("reason %q does not carry the fact's note", o.Reason)
			}
		}
		if o.Status != want {
			t.Errorf("%s: %s, want %s", o.Key, o.Status, want)
		}
	}
}

func TestProviderRegimes(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	in := Input{Facts: scenarioFacts(t), Tenants: scenarioTenants()[6:8],
		Provider: Profile{Jurisdictions: []string{"IE"}, Roles: []string{RoleNIS2EssentialEntity}}}
	obs, err := c.Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range obs {
		if strings.HasPrefix(o.Key.Regime, "nis2-art23-") {
			got = append(got, o.Key.String())
		}
	}
	want := []string{"nis2-art23-provider/early-warning", "nis2-art23-provider/final-report",
		"nis2-art23-provider/notification", "nis2-art23-recipients/notice@sg-firm",
		"nis2-art23-recipients/notice@uk-firm"}
	if !slices.Equal(got, want) {
		t.Errorf("provider NIS2 obligations = %v, want %v", got, want)
	}
	in.Provider = Profile{Jurisdictions: []string{"US"}}
	obs, _ = c.Compute(in)
	for _, o := range obs {
		if strings.HasPrefix(o.Key.Regime, "nis2-art23-") {
			t.Errorf("a provider outside the EU got %s", o.Key)
		}
	}
}

func TestComputeIsDeterministic(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	tenants := scenarioTenants()
	a, err := c.Compute(Input{Facts: scenarioFacts(t), Tenants: tenants})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(tenants)
	b, err := c.Compute(Input{Facts: scenarioFacts(t), Tenants: tenants})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("the same facts in another tenant order gave other obligations")
	}
	if d := Diff(a, b); len(d) != 0 {
		t.Errorf("Diff of equal computations = %v", d)
	}
}

func TestRecomputationDiff(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	tenants := []Tenant{scenarioTenants()[0], scenarioTenants()[1]} // klinikum, acme
	aware := Facts{FactAwareness: {Truth: Yes, At: ts(t, "2026-07-01T09:00:00Z")}}
	before, err := c.Compute(Input{Facts: aware, Tenants: tenants})
	if err != nil {
		t.Fatal(err)
	}
	// New facts: the incident is material, significant, and no personal
	// data was touched; acme leaves the scope, the UK firm enters it.
	later := aware.with(Facts{
		FactMateriality:    {Truth: Yes, At: ts(t, "2026-07-02T14:00:00Z")},
		FactClassification: {Truth: Yes, At: ts(t, "2026-07-01T20:00:00Z")},
		FactPersonalData:   {Truth: No},
	})
	after, err := c.Compute(Input{Facts: later, Tenants: []Tenant{tenants[0],
		scenarioTenants()[7]}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range Diff(before, after) {
		got = append(got, ch.String())
	}
	want := []string{
		"changed gdpr-art33/notification: status, deadline, clock_start, reason, unknown: " +
			"possible by 2026-07-04 09:00 UTC -> not-required",
		"changed gdpr-art33-2/notification@klinikum: status, deadline, target, clock_start, reason, unknown: " +
			"possible by 2026-07-02 09:00 UTC -> not-required",
		"changed gdpr-art34/communication: status, deadline, target, clock_start, reason, unknown: " +
			"possible by 2026-07-04 09:00 UTC -> not-required",
		"changed nis2-art23/early-warning@klinikum: status, unknown, triggers: " +
			"possible by 2026-07-02 09:00 UTC -> due by 2026-07-02 09:00 UTC",
		"changed nis2-art23/final-report@klinikum: status, unknown, triggers: " +
			"possible by 2026-08-04 09:00 UTC -> due by 2026-08-04 09:00 UTC",
		"changed nis2-art23/notification@klinikum: status, unknown, triggers: " +
			"possible by 2026-07-04 09:00 UTC -> due by 2026-07-04 09:00 UTC",
		"removed sec-8k-105/filing@acme (was clock-not-started)",
		"added uk-gdpr-art33/notification: not-required",
		"added uk-gdpr-art33-2/notification@uk-firm: not-required",
		"added uk-gdpr-art34/communication: not-required",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
}

func TestComputeRejectsBadInput(t *testing.T) {
	t.Parallel()
	c := mustBuiltin(t)
	for _, tc := range []struct {
		in   Input
		want string
	}{
		{Input{Facts: Facts{"ransom": {Truth: Yes}}}, `fact "ransom": unknown`},
		{Input{Facts: Facts{FactMateriality: {Truth: Yes}}}, "fact materiality: yes needs the time"},
		{Input{Facts: Facts{FactPersonalData: {Truth: "maybe"}}}, `truth "maybe"`},
		{Input{Tenants: []Tenant{{ID: "a"}, {ID: "a"}}}, "tenant a listed twice"},
		{Input{Tenants: []Tenant{{ID: "a", Profile: Profile{Roles: []string{"bank"}}}}},
			`tenant a: roles[0]: unknown value "bank"`},
		{Input{Facts: Facts{FactAffectedIndividuals: {Truth: Yes, Count: -1}}}, "negative"},
	} {
		if _, err := c.Compute(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compute(%+v) = %v, want an error with %q", tc.in, err, tc.want)
		}
	}
}
