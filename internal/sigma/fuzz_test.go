package sigma

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(testRule("sel: {f|contains|all: [a, b]}\ncondition: sel and not 1 of x*")))
	f.Add([]byte(testRule("sel: {f|re|i: '(?=a)'}\nkw: ['a\\*b']\ncondition: sel or kw")))
	f.Add([]byte("action: global\ntitle: g\n---\ndetection: {a: {f: null}, condition: a}\n"))
	f.Add([]byte("title: c\ncorrelation: {type: event_count}\n"))
	f.Add([]byte(testRule("s: {f|windash|base64offset|contains: '-x -y'}\ncondition: s")))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, _ := Parse(data, "fuzz.yml", Options{})
		rs := NewRuleset(rules)
		rs.Match(&event.Event{Fields: map[string]any{"f": "a", "EventID": json.Number("1")}},
			func(*Rule) {})
	})
}

// fuzzRules cover each kind of matcher.
const fuzzRules = `title: a
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\cmd.exe', CommandLine|contains|all: [' /c ', 'a?b*']}
  f: {User: null}
  condition: sel and not f
---
title: b
logsource: {product: x}
detection:
  kw: [mimikatz, 'x\*y']
  sel: {n|gte: 5, ip|cidr: 10.0.0.0/8, r|re|i: '^ab+c$', e|exists: true}
  ref: {a|fieldref|contains: b}
  condition: kw or sel or ref
---
title: c
logsource: {product: windows, service: security}
detection:
  sel: {CommandLine|windash|contains: ' -enc ', p|base64offset|contains: whoami}
  condition: 1 of them
`

func FuzzMatch(f *testing.F) {
	rules, diags := Parse([]byte(fuzzRules), "fuzz.yml", Options{})
	if len(diags) > 0 {
		f.Fatal(diags)
	}
	rs := NewRuleset(rules)
	f.Add([]byte(`{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational",` +
		`"Image":"c:\\CMD.exe","CommandLine":"x /c aXb"}`))
	f.Add([]byte(`{"n":"0x10","ip":"10.1.1.1","r":"ABBC","e":null,"a":["x",{"y":"mimikatz"}]}`))
	f.Add([]byte(`{"EventID":"4688","Channel":"security","CommandLine":"\u2015enc","b":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if dec.Decode(&m) != nil || m == nil {
			return
		}
		rs.Match(&event.Event{Fields: m}, func(*Rule) {})
	})
}
