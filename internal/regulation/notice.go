package regulation

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// Summary is what a notice says about the incident, from the incident
// record. Empty fields show as "to be completed" placeholders in a draft
// and are listed in Draft.Missing.
type Summary struct {
	IncidentID string // the provider's incident reference
	Title      string // one line
	Provider   string // the provider's name, as signed
	Tenant     string // the recipient tenant's name, for tenant notices
	// Description is what happened (content element description).
	Description string
	// TenantEffect is the effect on this tenant's data, if any
	// (tenant-effect).
	TenantEffect string
	// ActionsTaken are the provider's measures (measures-taken).
	ActionsTaken []string
	// SuggestedActions are what the customer should do
	// (recommended-actions).
	SuggestedActions []string
	// Contact is whom to ask: name, e-mail, telephone (contact-point).
	Contact string
	// Elements hold the other content elements by name (timeline,
	// data-categories, root-cause, ...).
	Elements map[string]string
}

// value returns the text of a content element, or "" when unknown.
func (s Summary) value(name string) string {
	switch name {
	case ElemDescription:
		return s.Description
	case ElemTenantEffect:
		return s.TenantEffect
	case ElemMeasuresTaken:
		return bullets(s.ActionsTaken)
	case ElemRecommended:
		return bullets(s.SuggestedActions)
	case ElemContactPoint:
		return s.Contact
	}
	return s.Elements[name]
}

func bullets(items []string) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("- " + it)
	}
	return b.String()
}

// Draft is a notice filled in for one obligation.
type Draft struct {
	Key      Key    `json:"key"`
	Lang     string `json:"lang"`
	Template string `json:"template"` // the template file
	Subject  string `json:"subject"`
	Body     string `json:"body"`
	// Missing are the content elements the summary left empty; the body
	// shows a placeholder for each.
	Missing []string `json:"missing,omitempty"`
}

// blankRuns are two or more blank lines, which a draft shows as one.
var blankRuns = regexp.MustCompile(`\n[ \t]*\n(?:[ \t]*\n)+`)

// notice is one template file of the catalog.
type notice struct {
	regime, stage, lang string
	file                string
	tmpl                *template.Template
	elements            []string // content elements the template shows
}

// noticeName matches REGIME.LANG.tmpl and REGIME.STAGE.LANG.tmpl.
var noticeName = regexp.MustCompile(
	`^([a-z0-9][a-z0-9-]*)(?:\.([a-z0-9][a-z0-9-]*))?\.([a-z]{2})\.tmpl$`)

// noticeKey is how a notice is found: "regime.stage.lang" or "regime..lang".
func noticeKey(regime, stage, lang string) string { return regime + "." + stage + "." + lang }

// templateFuncs are the functions a notice template may call. element and
// deadline are bound to the draft at execution.
var templateFuncs = template.FuncMap{
	"element":  func(string) string { return "" },
	"section":  func(string) string { return "" },
	"label":    func(string) string { return "" },
	"deadline": func(Obligation) string { return "" },
	"utc":      func(t time.Time) string { return formatUTC(t) },
	"local":    func(t time.Time, zone string) string { return formatLocal(t, zone) },
	"join":     strings.Join,
}

// parseNotice parses a template file named base (see noticeName).
func parseNotice(base, file string, text []byte) (*notice, error) {
	m := noticeName.FindStringSubmatch(base)
	if m == nil {
		return nil, &ParseError{File: file, Reason: "want a name REGIME.LANG.tmpl or" +
			" REGIME.STAGE.LANG.tmpl (LANG: two lowercase letters)"}
	}
	t, err := template.New(base).Funcs(templateFuncs).Option("missingkey=error").Parse(string(text))
	if err != nil {
		return nil, templateError(file, err)
	}
	if t.Lookup("subject") == nil {
		return nil, &ParseError{File: file, Field: "subject",
			Reason: `missing {{define "subject"}}...{{end}}`}
	}
	n := &notice{regime: m[1], stage: m[2], lang: m[3], file: file, tmpl: t}
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		if err := n.collect(tt.Root); err != nil {
			return nil, err
		}
	}
	slices.Sort(n.elements)
	n.elements = slices.Compact(n.elements)
	return n, nil
}

// templateError turns "template: NAME:LINE: reason" into a ParseError.
func templateError(file string, err error) *ParseError {
	msg := err.Error()
	pe := &ParseError{File: file, Reason: msg}
	rest, ok := strings.CutPrefix(msg, "template: ")
	if !ok {
		return pe
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) == 3 {
		if line, err := strconv.Atoi(parts[1]); err == nil {
			pe.Line, pe.Reason = line, strings.TrimSpace(parts[2])
		}
	}
	// Execution errors carry a column too: "3:5: executing ...".
	if col, after, ok := strings.Cut(pe.Reason, ": "); ok {
		if _, err := strconv.Atoi(col); err == nil {
			pe.Reason = after
		}
	}
	return pe
}

// collect records every {{element "name"}} under node and checks the name.
func (n *notice) collect(node parse.Node) error {
	var err error
	walk(node, func(c *parse.CommandNode) {
		if err != nil || len(c.Args) == 0 {
			return
		}
		id, ok := c.Args[0].(*parse.IdentifierNode)
		if !ok || (id.Ident != "element" && id.Ident != "section" && id.Ident != "label") {
			return
		}
		s, ok := argString(c)
		if !ok {
			err = &ParseError{File: n.file, Field: id.Ident,
				Reason: id.Ident + " takes one quoted content element name"}
			return
		}
		if oneOfErr(s, ContentElements()) != nil {
			err = &ParseError{File: n.file, Field: id.Ident,
				Reason: fmt.Sprintf("unknown content element %q", s)}
			return
		}
		if id.Ident != "label" {
			n.elements = append(n.elements, s)
		}
	})
	return err
}

func argString(c *parse.CommandNode) (string, bool) {
	if len(c.Args) != 2 {
		return "", false
	}
	s, ok := c.Args[1].(*parse.StringNode)
	if !ok {
		return "", false
	}
	return s.Text, true
}

// walk calls fn for every command under node.
func walk(node parse.Node, fn func(*parse.CommandNode)) {
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, fn)
		}
	case *parse.ActionNode:
		walk(n.Pipe, fn)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walk(c, fn)
		}
	case *parse.CommandNode:
		fn(n)
		for _, a := range n.Args {
			walk(a, fn)
		}
	case *parse.IfNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.RangeNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.WithNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.TemplateNode:
		walk(n.Pipe, fn)
	}
}

// DraftData is what a notice template sees: the summary, the obligation,
// its regime and stage, and the language.
type DraftData struct {
	Summary
	Obligation Obligation
	Regime     *Regime
	Stage      *Stage
	Lang       string
}

// Draft fills the notice template of ob's regime and stage in the language
// lang (falling back to English) from s. Templates are looked up as
// REGIME.STAGE.LANG.tmpl, then REGIME.LANG.tmpl.
func (c *Catalog) Draft(ob Obligation, lang string, s Summary) (Draft, error) {
	re, ok := c.regimes[ob.Key.Regime]
	if !ok {
		return Draft{}, fmt.Errorf("draft %s: no regime %q in the catalog", ob.Key, ob.Key.Regime)
	}
	st, ok := re.Stage(ob.Key.Stage)
	if !ok {
		return Draft{}, fmt.Errorf("draft %s: regime %s has no stage %q", ob.Key, re.ID, ob.Key.Stage)
	}
	n := c.notice(re.ID, st.ID, lang)
	if n == nil {
		return Draft{}, fmt.Errorf("draft %s: no template in %s or English", ob.Key, lang)
	}
	d, err := n.render(re, st, ob, s)
	if err != nil {
		return Draft{}, fmt.Errorf("draft %s: %w", ob.Key, err)
	}
	return d, nil
}

// render fills the template for one obligation of the regime's stage.
func (n *notice) render(re *Regime, st *Stage, ob Obligation, s Summary) (Draft, error) {
	d := Draft{Key: ob.Key, Lang: n.lang, Template: n.file}
	t, err := n.tmpl.Clone()
	if err != nil {
		return Draft{}, err
	}
	element := func(name string) string {
		if v := strings.TrimSpace(s.value(name)); v != "" {
			return v
		}
		if !slices.Contains(d.Missing, name) {
			d.Missing = append(d.Missing, name)
		}
		return fmt.Sprintf(placeholders[n.lang], ElementLabel(name, n.lang))
	}
	t.Funcs(template.FuncMap{
		"element": element,
		"section": func(name string) string {
			return ElementLabel(name, n.lang) + ":\n" + element(name) + "\n"
		},
		"label":    func(name string) string { return ElementLabel(name, n.lang) },
		"deadline": func(o Obligation) string { return deadlineWords(o, n.lang) },
	})
	data := DraftData{Summary: s, Obligation: ob, Regime: re, Stage: st, Lang: n.lang}
	var subj, body bytes.Buffer
	if err := t.ExecuteTemplate(&subj, "subject", data); err != nil {
		return Draft{}, err
	}
	if err := t.Execute(&body, data); err != nil {
		return Draft{}, err
	}
	d.Subject = strings.Join(strings.Fields(subj.String()), " ")
	d.Body = blankRuns.ReplaceAllString(strings.TrimSpace(body.String()), "\n\n") + "\n"
	slices.Sort(d.Missing)
	return d, nil
}

// notice finds the template for a regime's stage in lang, else in English.
func (c *Catalog) notice(regime, stage, lang string) *notice {
	for _, l := range []string{lang, "en"} {
		for _, k := range []string{noticeKey(regime, stage, l), noticeKey(regime, "", l)} {
			if n, ok := c.notices[k]; ok {
				return n
			}
		}
	}
	return nil
}

// Languages returns the languages that have a template for the stage.
func (c *Catalog) Languages(regime, stage string) []string {
	var out []string
	for _, n := range c.notices {
		if n.regime == regime && (n.stage == stage || n.stage == "") {
			out = append(out, n.lang)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// deadlineWords returns the deadline in the zone it is counted in, or
// says that the clock has not started.
func deadlineWords(o Obligation, lang string) string {
	if o.Deadline.IsZero() {
		if lang == "de" {
			return "noch offen (die Frist hat noch nicht begonnen)"
		}
		return "not yet known (the clock has not started)"
	}
	return formatLocal(o.Deadline, o.Zone)
}

func formatLocal(t time.Time, zone string) string {
	if t.IsZero() {
		return ""
	}
	if zone == "" || zone == "UTC" {
		return formatUTC(t)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return formatUTC(t)
	}
	return t.In(loc).Format("2006-01-02 15:04 MST") + " (" + zone + ")"
}
