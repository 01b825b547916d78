package sigma

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultLogsourceMapping(t *testing.T) {
	const sysmon = `"Channel":"Microsoft-Windows-Sysmon/Operational"`
	rules := map[string]string{
		"proc": `title: proc
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\cmd.exe', ParentImage|endswith: '\explorer.exe'}
  condition: sel
`,
		"sec": `title: sec
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
`,
		"sshd": `title: sshd
logsource: {product: linux, service: sshd}
detection:
  kw: ['Failed password']
  condition: kw
`,
		"web": `title: web
logsource: {category: webserver}
detection:
  sel: {c-uri|contains: '/etc/passwd'}
  condition: sel
`,
		"free": `title: free
logsource: {product: someproduct}
detection:
  sel: {c-uri|contains: '/etc/passwd'}
  condition: sel
`,
		"file access": `title: file access
logsource: {product: windows, category: file_access}
detection:
  sel: {ObjectName|endswith: '\secret.txt'}
  condition: sel
`,
		"ps": `title: ps
logsource: {product: windows, category: ps_script}
detection:
  sel: {ScriptBlockText|contains: 'Invoke-Mimikatz'}
  condition: sel
`,
	}
	var all []*Rule
	for name, doc := range rules {
		rs, diags := Parse([]byte(doc), name+".yml", Options{})
		if len(diags) > 0 {
			t.Fatal(diags)
		}
		all = append(all, rs...)
	}
	set := NewRuleset(all)
	cases := []struct {
		name, event string
		want        []string
	}{
		{"sysmon 1", `{"EventID":1,` + sysmon + `,"Image":"C:\\x\\CMD.exe",` +
			`"ParentImage":"C:\\Windows\\explorer.exe"}`, []string{"proc"}},
		{"sysmon 1 wrong channel", `{"EventID":1,"Channel":"Application","Image":"C:\\cmd.exe",` +
			`"ParentImage":"C:\\explorer.exe"}`, nil},
		{"sysmon 3", `{"EventID":3,` + sysmon + `,"Image":"C:\\cmd.exe",` +
			`"ParentImage":"C:\\explorer.exe"}`, nil},
		{"security 4688 field mapping", `{"EventID":"4688","Channel":"Security",` +
			`"NewProcessName":"C:\\cmd.exe","ParentProcessName":"C:\\explorer.exe"}`,
			[]string{"proc"}},
		{"security 4688 sigma names", `{"EventID":4688,"Channel":"Security",` +
			`"Image":"C:\\cmd.exe","ParentImage":"C:\\explorer.exe"}`, nil},
		{"security service channel case", `{"EventID":4625,"Channel":"SECURITY"}`,
			[]string{"sec"}},
		{"security service other channel", `{"EventID":4625,"Channel":"System"}`, nil},
		{"sshd", `{"program":"sshd","message":"Failed password for root"}`, []string{"sshd"}},
		{"sshd other program", `{"program":"cron","message":"Failed password for root"}`, nil},
		{"web", `{"cs-method":"GET","c-uri":"/a/../etc/passwd"}`, []string{"web"}},
		{"web needs reader fields", `{"uri":"/etc/passwd","c-uri-query":"x"}`, nil},
		{"unmapped product undeclared", `{"c-uri":"/etc/passwd"}`, []string{"web"}},
		{"unmapped product declared", `{"c-uri":"/etc/passwd",` +
			`"logsource":{"product":"SomeProduct"}}`, []string{"free", "web"}},
		{"unmapped product declared other", `{"c-uri":"/etc/passwd",` +
			`"logsource":{"product":"zeek"}}`, []string{"web"}},
		{"windows fallback", `{"EventID":4663,"Channel":"Security",` +
			`"ObjectName":"C:\\secret.txt"}`, []string{"file access"}},
		{"windows fallback needs a channel", `{"EventID":4663,` +
			`"ObjectName":"C:\\secret.txt"}`, nil},
		{"ps script", `{"EventID":4104,"Channel":"Microsoft-Windows-PowerShell/Operational",` +
			`"ScriptBlockText":"Invoke-Mimikatz -x"}`, []string{"ps"}},
		{"ps script core", `{"EventID":4104,"Channel":"PowerShellCore/Operational",` +
			`"ScriptBlockText":"Invoke-Mimikatz -x"}`, []string{"ps"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			set.Match(jsonEvent(t, c.event), func(r *Rule) { got = append(got, r.Title) })
			sort.Strings(got)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("matched rules (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCustomLogsourceMapping(t *testing.T) {
	m, err := ParseLogsourceMapping([]byte(`
logsources:
  proc-a:
    category: proc
    conditions: {kind: a}
    rewrite: {product: box}
  proc-b:
    category: proc
    conditions: {tag|startswith: b}
    fieldmappings:
      Image: [exe, path]
  box:
    product: box
    conditions: {host|exists: true}
    sources: ["WinEventLog:Box", "File:/var/log/box.log"]
  files:
    product: files
    sources: ["File:/var/log/*.log"]
`), "custom.yml")
	if err != nil {
		t.Fatal(err)
	}
	parse := func(ls string) *Ruleset {
		doc := "title: r\nlogsource: " + ls + "\ndetection:\n  sel: {Image: x}\n  condition: sel\n"
		rules, diags := Parse([]byte(doc), "r.yml", Options{Logsources: m})
		if len(diags) > 0 {
			t.Fatal(diags)
		}
		return NewRuleset(rules)
	}
	proc, files := parse("{category: proc}"), parse("{product: files}")
	cases := []struct {
		name  string
		set   *Ruleset
		event string
		want  int
	}{
		{"rewrite chain", proc, `{"kind":"a","host":"h","Channel":"box","Image":"x"}`, 1},
		{"rewrite needs channel", proc, `{"kind":"a","host":"h","Image":"x"}`, 0},
		{"rewrite needs host", proc, `{"kind":"a","Channel":"Box","Image":"x"}`, 0},
		{"mapped field first", proc, `{"tag":"bb","exe":"X"}`, 1},
		{"mapped field second", proc, `{"tag":"bb","path":"x"}`, 1},
		{"mapped away", proc, `{"tag":"bb","Image":"x"}`, 0},
		{"file sources add nothing", files, `{"Image":"x"}`, 1},
		{"both alternatives fire once", proc,
			`{"kind":"a","tag":"b","host":"h","Channel":"box","Image":"x","exe":"x"}`, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := 0
			c.set.Match(jsonEvent(t, c.event), func(*Rule) { got++ })
			if got != c.want {
				t.Errorf("matched %d times, want %d", got, c.want)
			}
		})
	}
}

func TestParseLogsourceMappingErrors(t *testing.T) {
	for _, doc := range []string{
		"logsources: [a]",
		"logsources:\n  x:\n    conditions: {f|nope: 1}",
		"logsources: {x: [1]}",
		"{",
	} {
		if _, err := ParseLogsourceMapping([]byte(doc), "bad.yml"); err == nil {
			t.Errorf("ParseLogsourceMapping(%q): no error", doc)
		}
	}
}
