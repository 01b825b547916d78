package anomaly

import (
	"slices"
	"strings"
	"sync"
)

// MinerConfig configures a Miner. The zero value is ready to use.
type MinerConfig struct {
	// MaxTemplates caps the templates a Miner keeps. When a new template
	// would pass it, the least recently matched sixteenth are evicted; a
	// message of an evicted template later makes a new one. Default 5,000.
	MaxTemplates int
	// MinValues is how many distinct constant values must be seen at one
	// position of otherwise equal templates before the position is taken
	// for a variable and the templates merge. A template that already has a
	// masked value there (a number, say) counts as two. Default 3.
	MinValues int
}

const (
	defaultMaxTemplates = 5000
	defaultMinValues    = 3
	// wildcardWeight is what a template with a masked value at the position
	// counts towards MinValues: numbers there are strong evidence of a
	// variable.
	wildcardWeight = 2
	// minConstants is the fewest constant tokens a merged template may keep,
	// so that "boot (command <*>" and "halt (command <*>" never become
	// "<*> (command <*>".
	minConstants = 2
)

// Match is what a Miner made of one message.
type Match struct {
	// ID is the template's ID, unique within the Miner; IDs count from 1.
	ID int64
	// Template is the template text: the message's tokens, separated by one
	// space, with Wildcard for each variable part.
	Template string
	// Params are the values of the variable parts, in order.
	Params []string
	// New is true when this message made a template that did not exist.
	New bool
	// Merged lists the templates that were folded into ID while mining this
	// message, because the message showed that a position is a variable.
	Merged []int64
}

// Template is one mined template.
type Template struct {
	ID       int64  `json:"id"`
	Template string `json:"template"`
	// Count is how many messages matched it (merged templates included).
	Count int64 `json:"count"`
	// Used is the Miner's message sequence number at its last match; the
	// least recently used templates are evicted first.
	Used uint64 `json:"used"`
}

// MinerState is a Miner's state, to persist and restore with NewMinerFrom.
type MinerState struct {
	NextID    int64      `json:"next_id"`
	Seq       uint64     `json:"seq"`
	Templates []Template `json:"templates"`
}

// Miner mines log templates online: each message is matched to a template,
// a new template is made when none fits, and templates that differ only in
// one position merge once that position has shown MinValues distinct
// values. It is safe for concurrent use.
//
// Messages are first tokenized and masked (numbers, hexadecimal strings,
// addresses, paths, times and sizes become Wildcard); messages whose masked
// tokens are equal share a template without further work, which is the
// common case and a map lookup.
type Miner struct {
	mu           sync.Mutex
	maxTemplates int
	minValues    int
	nextID       int64
	seq          uint64
	live         map[int64]*template
	aliases      map[int64]int64
	byHash       map[uint64]*template
	byLen        map[int][]*template
	groups       map[genKey][]*template
	cache        map[string]*template
	restoring    bool
	absorbed     []int64 // IDs merged away during the current create
}

type template struct {
	id     int64
	tokens []string
	hash   uint64
	count  int64
	used   uint64
	merged *template
	gens   []genKey
}

// genKey names a generalization: a template with one position made a
// wildcard. Templates that share one differ only at that position.
type genKey struct {
	hash uint64
	pos  int
}

// NewMiner returns an empty Miner.
func NewMiner(cfg MinerConfig) *Miner {
	if cfg.MaxTemplates <= 0 {
		cfg.MaxTemplates = defaultMaxTemplates
	}
	if cfg.MinValues <= 0 {
		cfg.MinValues = defaultMinValues
	}
	return &Miner{
		maxTemplates: cfg.MaxTemplates,
		minValues:    cfg.MinValues,
		nextID:       1,
		live:         map[int64]*template{},
		aliases:      map[int64]int64{},
		byHash:       map[uint64]*template{},
		byLen:        map[int][]*template{},
		groups:       map[genKey][]*template{},
		cache:        map[string]*template{},
	}
}

// NewMinerFrom returns a Miner holding a saved state.
func NewMinerFrom(cfg MinerConfig, st MinerState) *Miner {
	m := NewMiner(cfg)
	m.restoring = true
	for _, ts := range st.Templates {
		if _, dup := m.live[ts.ID]; dup || ts.ID <= 0 {
			continue // a damaged state: keep the first
		}
		t := &template{id: ts.ID, tokens: splitTemplate(ts.Template), count: ts.Count, used: ts.Used}
		t.hash = hashTokens(t.tokens)
		m.index(t)
		m.nextID = max(m.nextID, ts.ID+1)
	}
	m.nextID = max(m.nextID, st.NextID)
	m.seq = st.Seq
	m.restoring = false
	return m
}

func splitTemplate(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

// Match mines one message and returns its template.
func (m *Miner) Match(msg string) Match {
	raw, masked := tokenize(msg)
	key := strings.Join(masked, " ")

	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	var res Match
	t := m.cache[key]
	if t == nil {
		t = m.subsumer(masked)
		if t == nil {
			t = m.create(masked, &res)
		}
		if len(m.cache) >= 4*m.maxTemplates+1024 {
			clear(m.cache)
		}
		m.cache[key] = t
	}
	t = resolve(t)
	t.count++
	t.used = m.seq
	res.ID = t.id
	res.Template = strings.Join(t.tokens, " ")
	for i, tok := range t.tokens {
		if strings.Contains(tok, Wildcard) {
			res.Params = append(res.Params, param(tok, raw[i]))
		}
	}
	if len(m.live) > m.maxTemplates {
		m.evict()
	}
	return res
}

func resolve(t *template) *template {
	for t.merged != nil {
		t = t.merged
	}
	return t
}

// subsumer returns the most specific template of the message's length whose
// constants all equal the message's tokens, or nil.
func (m *Miner) subsumer(toks []string) *template {
	var best *template
	bestWild := 0
	for _, t := range m.byLen[len(toks)] {
		wild, ok := 0, true
		for i, tok := range t.tokens {
			if tok == Wildcard {
				wild++
			} else if tok != toks[i] {
				ok = false
				break
			}
		}
		if ok && (best == nil || wild < bestWild || wild == bestWild && t.id < best.id) {
			best, bestWild = t, wild
		}
	}
	return best
}

// create makes a template from masked tokens and indexes it, which may
// merge it with others at once.
func (m *Miner) create(toks []string, res *Match) *template {
	t := &template{id: m.nextID, tokens: toks, hash: hashTokens(toks)}
	m.nextID++
	m.absorbed = m.absorbed[:0]
	m.index(t)
	final := resolve(t)
	res.New = final == t
	for _, id := range m.absorbed {
		if id != t.id {
			res.Merged = append(res.Merged, id)
		}
	}
	slices.Sort(res.Merged)
	return t
}

// Resolve returns the current ID of a template ID given out before, which
// differs when the template has since merged into another. It returns false
// when the ID is unknown or its template was evicted.
func (m *Miner) Resolve(id int64) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.live[id]; ok {
		return id, true
	}
	for range 64 {
		to, ok := m.aliases[id]
		if !ok {
			return 0, false
		}
		if _, ok := m.live[to]; ok {
			return to, true
		}
		id = to
	}
	return 0, false
}

// Get returns a live template by ID.
func (m *Miner) Get(id int64) (Template, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.live[id]
	if !ok {
		return Template{}, false
	}
	return t.export(), true
}

// Len returns the number of live templates.
func (m *Miner) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.live)
}

// State returns the Miner's templates for persisting, in ID order.
func (m *Miner) State() MinerState {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := MinerState{NextID: m.nextID, Seq: m.seq, Templates: make([]Template, 0, len(m.live))}
	for _, t := range m.live {
		st.Templates = append(st.Templates, t.export())
	}
	slices.SortFunc(st.Templates, func(a, b Template) int { return int(a.ID - b.ID) })
	return st
}

func (t *template) export() Template {
	return Template{ID: t.id, Template: strings.Join(t.tokens, " "), Count: t.count, Used: t.used}
}

// evict drops the least recently used sixteenth of the templates, and the
// aliases and cache entries that lead to them.
func (m *Miner) evict() {
	all := make([]*template, 0, len(m.live))
	for _, t := range m.live {
		all = append(all, t)
	}
	slices.SortFunc(all, func(a, b *template) int {
		if a.used != b.used {
			return cmpUint(a.used, b.used)
		}
		return int(a.id - b.id)
	})
	n := max(1, m.maxTemplates/16)
	gone := map[int64]bool{}
	for _, t := range all[:min(n, len(all))] {
		m.unindex(t)
		gone[t.id] = true
	}
	for from, to := range m.aliases {
		if gone[to] {
			delete(m.aliases, from)
		}
	}
	clear(m.cache)
}

func cmpUint(a, b uint64) int {
	if a < b {
		return -1
	}
	return 1
}
