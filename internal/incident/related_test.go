package incident

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSuggestRelated(t *testing.T) {
	t.Parallel()
	ind := func(k IndicatorKind, v string) Indicator { return Indicator{Kind: k, Value: v} }
	records := []Record{
		{Number: "INC-1", Indicators: []Indicator{ind(KindIP, "198.51.100.7"),
			ind(KindDomain, "evil.example"), ind(KindHash, "AA000000000000000000000000000000")}},
		{Number: "INC-2", Indicators: []Indicator{ind(KindDomain, "EVIL.example."),
			ind(KindIP, "::ffff:198.51.100.7"), ind(KindIP, "198.51.100.7")}},
		{Number: "INC-3", Related: []string{"INC-1"}, Indicators: []Indicator{
			ind(KindIP, "198.51.100.7"), ind(KindUser, "bob")}},
		{Number: "INC-4", Indicators: []Indicator{ind(KindUser, " bob "),
			ind(KindHost, "not valid host")}},
		{Number: "INC-5", Indicators: []Indicator{ind(KindHost, "not valid host"),
			ind(KindDomain, "198.51.100.7")}},
		{Number: "", Indicators: []Indicator{ind(KindUser, "bob")}},
		{Number: "INC-7", Indicators: []Indicator{ind(KindHash,
			"aa000000000000000000000000000000")}},
	}
	got := SuggestRelated(records)
	want := []Suggestion{
		{A: "INC-1", B: "INC-2", Shared: []Indicator{ind(KindDomain, "evil.example"),
			ind(KindIP, "198.51.100.7")}},
		{A: "INC-1", B: "INC-7", Shared: []Indicator{ind(KindHash,
			"aa000000000000000000000000000000")}},
		{A: "INC-2", B: "INC-3", Shared: []Indicator{ind(KindIP, "198.51.100.7")}},
		{A: "INC-3", B: "INC-4", Shared: []Indicator{ind(KindUser, "bob")}},
		{A: "INC-4", B: "INC-5", Shared: []Indicator{ind(KindHost, "not valid host")}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SuggestRelated (-want +got):\n%s", diff)
	}
	if got := SuggestRelated(nil); len(got) != 0 {
		t.Errorf("SuggestRelated(nil) = %v, want none", got)
	}
}
