package sigma

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// attackEvents reads the flat events of the attack-json zips (one NDJSON
// file each).
func attackEvents(tb testing.TB) []*event.Event {
	tb.Helper()
	dir := needCorpus(tb, "attack-json")
	zips, err := filepath.Glob(filepath.Join(dir, "*", "*.zip"))
	if err != nil || len(zips) == 0 {
		tb.Skipf("no attack-json zips in %s", dir)
	}
	var evs []*event.Event
	for _, z := range zips {
		zr, err := zip.OpenReader(z)
		if err != nil {
			tb.Fatal(err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				tb.Fatal(err)
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				tb.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			for {
				var m map[string]any
				if err := dec.Decode(&m); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					tb.Fatalf("%s: %v", z, err)
				}
				evs = append(evs, &event.Event{Fields: m})
			}
		}
		zr.Close()
	}
	return evs
}

var windowsRules = sync.OnceValues(func() (*Ruleset, error) {
	rs, _, err := Load([]string{filepath.Join(corpusDir, "sigma", "rules", "windows")}, Options{})
	return rs, err
})

func loadWindowsRules(tb testing.TB) *Ruleset {
	tb.Helper()
	needCorpus(tb, filepath.Join("sigma", "rules", "windows"))
	rs, err := windowsRules()
	if err != nil {
		tb.Fatal(err)
	}
	return rs
}

func BenchmarkMatch(b *testing.B) {
	rs := loadWindowsRules(b)
	evs := attackEvents(b)
	hits := 0
	fn := func(*Rule) { hits++ }
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	n := 0
	for b.Loop() {
		rs.Match(evs[n%len(evs)], fn)
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64(len(rs.Rules())), "rules")
}

// TestMatchAllocs checks that matching representative events against all
// the Windows rules does not allocate.
func TestMatchAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the corpus")
	}
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool, and so regexp, allocate")
	}
	rs := loadWindowsRules(t)
	cases := map[string]string{
		"sysmon process creation": `{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational",
			"Image":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
			"CommandLine":"powershell.exe -nop -w hidden -c IEX (New-Object Net.WebClient)",
			"ParentImage":"C:\\Windows\\explorer.exe","User":"CORP\\alice",
			"OriginalFileName":"PowerShell.EXE","Hashes":"SHA256=0123"}`,
		"security logon": `{"EventID":4624,"Channel":"Security","LogonType":3,
			"TargetUserName":"alice","IpAddress":"10.0.0.5"}`,
		"sysmon registry": `{"EventID":13,"Channel":"Microsoft-Windows-Sysmon/Operational",
			"TargetObject":"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x",
			"Details":"C:\\Users\\Public\\x.exe","Image":"C:\\Windows\\regedit.exe"}`,
	}
	for name, js := range cases {
		ev := jsonEvent(t, js)
		fn := func(*Rule) {}
		rs.Match(ev, fn) // warm the regexp caches
		if n := testing.AllocsPerRun(50, func() { rs.Match(ev, fn) }); n != 0 {
			t.Errorf("%s: Match allocates %.1f times per event, want 0", name, n)
		}
	}
}
