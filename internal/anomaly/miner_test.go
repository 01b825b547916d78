package anomaly

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestMinerGroupsMaskedValues(t *testing.T) {
	m := NewMiner(MinerConfig{})
	a := m.Match("Received block blk_1 of size 67108864 from /10.251.42.84")
	b := m.Match("Received block blk_-99 of size 512 from /10.0.0.1")
	c := m.Match("Receiving block blk_1 src: /10.0.0.1:5 dest: /10.0.0.2:6")
	if !a.New || b.New || a.ID != b.ID {
		t.Fatalf("same template: got %+v and %+v", a, b)
	}
	if c.ID == a.ID || !c.New {
		t.Fatalf("another template joined the first: %+v", c)
	}
	if want := "Received block <*> of size <*> from <*>"; b.Template != want {
		t.Errorf("template %q, want %q", b.Template, want)
	}
	if want := []string{"blk_-99", "512", "/10.0.0.1"}; !slices.Equal(b.Params, want) {
		t.Errorf("params %q, want %q", b.Params, want)
	}
}

func TestMinerMergesAfterMinValues(t *testing.T) {
	m := NewMiner(MinerConfig{})
	first := m.Match("Invalid user alice from 10.0.0.1")
	second := m.Match("Invalid user bob from 10.0.0.2")
	if second.ID == first.ID {
		t.Fatalf("merged after two values: %+v", second)
	}
	third := m.Match("Invalid user carol from 10.0.0.3")
	if third.ID != first.ID || third.New {
		t.Fatalf("third value: got %+v, want the oldest ID %d and not new", third, first.ID)
	}
	if want := []int64{second.ID}; !slices.Equal(third.Merged, want) {
		t.Errorf("merged %v, want %v", third.Merged, want)
	}
	if want := "Invalid user <*> from <*>"; third.Template != want {
		t.Errorf("template %q, want %q", third.Template, want)
	}
	if got, ok := m.Resolve(second.ID); !ok || got != first.ID {
		t.Errorf("Resolve(%d) = %d, %v; want %d", second.ID, got, ok, first.ID)
	}
	if m.Len() != 1 {
		t.Errorf("%d live templates, want 1", m.Len())
	}
	// A new value now matches the merged template directly.
	if d := m.Match("Invalid user dave from 10.0.0.4"); d.ID != first.ID || d.New {
		t.Errorf("fourth value: %+v", d)
	}
}

func TestMinerNumberIsStrongEvidence(t *testing.T) {
	m := NewMiner(MinerConfig{})
	a := m.Match("Invalid user webmaster from 10.0.0.1")
	b := m.Match("Invalid user test9 from 10.0.0.2") // masked: "Invalid user <*> from <*>"
	if b.ID != a.ID {
		t.Fatalf("a masked value and one constant did not merge: %+v, %+v", a, b)
	}
}

func TestMinerKeepsTwoValuesAndBareTemplatesApart(t *testing.T) {
	m := NewMiner(MinerConfig{})
	ids := map[int64]bool{}
	for _, msg := range []string{
		"Acquiring suspend blocker", "Releasing suspend blocker", // two values: constants
		"boot (command 1911)", "wait (command 1975)", "halt (command 1982)", // one constant left
	} {
		ids[m.Match(msg).ID] = true
	}
	if len(ids) != 5 {
		t.Errorf("%d templates, want 5: %v", len(ids), m.State().Templates)
	}
}

func TestMinerCascadingMerge(t *testing.T) {
	m := NewMiner(MinerConfig{})
	var last Match
	for _, u := range []string{"a", "b", "c"} {
		for _, h := range []string{"x", "y", "z"} {
			last = m.Match(fmt.Sprintf("login user %s host %s ok", u, h))
		}
	}
	if want := "login user <*> host <*> ok"; last.Template != want || m.Len() != 1 {
		t.Errorf("template %q with %d live, want %q alone", last.Template, m.Len(), want)
	}
	if st := m.State(); st.Templates[0].Count != 9 {
		t.Errorf("count %d, want 9", st.Templates[0].Count)
	}
}

func TestMinerEvictsLeastRecentlyUsed(t *testing.T) {
	m := NewMiner(MinerConfig{MaxTemplates: 32})
	keep := m.Match("heartbeat from scheduler")
	for i := range 200 {
		// Distinct first and last words: never merge.
		m.Match(fmt.Sprintf("w%c%c event number %d for x%c%c", 'a'+i%26, 'a'+i/26, i, 'a'+i%26, 'a'+i/26))
		m.Match("heartbeat from scheduler")
	}
	if n := m.Len(); n > 32 {
		t.Fatalf("%d live templates, cap 32", n)
	}
	if _, ok := m.Get(keep.ID); !ok {
		t.Errorf("the busiest template was evicted")
	}
	if got := m.Match("heartbeat from scheduler"); got.ID != keep.ID || got.New {
		t.Errorf("busy template changed: %+v", got)
	}
	first := m.Match("wab event number 0 for xab") // evicted long ago
	if !first.New {
		t.Errorf("evicted template came back as old: %+v", first)
	}
}

func TestMinerStateRoundTrip(t *testing.T) {
	m := NewMiner(MinerConfig{})
	msgs := []string{
		"Invalid user alice from 10.0.0.1", "Invalid user bob from 10.0.0.2",
		"Invalid user carol from 10.0.0.3", "session opened for user root",
		"Accepted password for root from 10.0.0.9 port 22 ssh2",
	}
	want := map[string]int64{}
	for _, msg := range msgs {
		m.Match(msg)
	}
	for _, msg := range msgs {
		want[msg] = m.Match(msg).ID
	}
	r := NewMinerFrom(MinerConfig{}, m.State())
	for _, msg := range msgs {
		if got := r.Match(msg); got.ID != want[msg] || got.New {
			t.Errorf("after restore %q: %+v, want ID %d", msg, got, want[msg])
		}
	}
	if n := r.Match("something never seen"); !n.New || n.ID <= 3 {
		t.Errorf("new template after restore: %+v (IDs must not be reused)", n)
	}
}

func TestMinerConcurrent(t *testing.T) {
	m := NewMiner(MinerConfig{MaxTemplates: 64})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				m.Match(fmt.Sprintf("worker %d step %d user u%c done", g, i, 'a'+i%20))
				m.State()
			}
		})
	}
	wg.Wait()
	if m.Len() > 64 {
		t.Errorf("%d templates, cap 64", m.Len())
	}
}

// FuzzMinerMatch mines each line of the input and checks the invariants of
// a Match: a template has one token per message token, one parameter per
// wildcard token, and the same message again gets the same template.
func FuzzMinerMatch(f *testing.F) {
	f.Add("Invalid user a from 1.2.3.4\nInvalid user b from 1.2.3.5\nInvalid user c from 1.2.3.6")
	f.Add("x y\nx z\nx w\n<*> <*>\n\n \t")
	f.Add("a=1 b=2\na=x b=y\na=z b=w\na=q b=<*>")
	f.Fuzz(func(t *testing.T, input string) {
		m := NewMiner(MinerConfig{MaxTemplates: 8})
		for _, line := range strings.Split(input, "\n") {
			got := m.Match(line)
			toks := splitTemplate(got.Template)
			raw, _ := tokenize(line)
			if len(toks) != len(raw) {
				t.Fatalf("%q: template %q has %d tokens, message %d", line, got.Template,
					len(toks), len(raw))
			}
			wild := 0
			for _, tok := range toks {
				if tok == "" {
					t.Fatalf("%q: empty token in %q", line, got.Template)
				}
				if strings.Contains(tok, Wildcard) {
					wild++
				}
			}
			if wild != len(got.Params) {
				t.Fatalf("%q: %d params for %d wildcard tokens", line, len(got.Params), wild)
			}
			if again := m.Match(line); again.ID != got.ID {
				t.Fatalf("%q: ID %d then %d", line, got.ID, again.ID)
			}
			if m.Len() > 8 {
				t.Fatalf("%d templates, cap 8", m.Len())
			}
		}
	})
}
