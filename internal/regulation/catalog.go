package regulation

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// builtin is the catalog shipped with Vigil.
//
//go:embed catalog
var builtin embed.FS

// Folders of a catalog: regime files, holiday calendars, notice templates.
const (
	dirRegimes  = "regimes"
	dirHolidays = "holidays"
	dirNotices  = "notices"
)

// Catalog is a loaded, checked set of regimes, holiday calendars and
// notice templates. It is read-only once loaded and safe for concurrent
// use.
type Catalog struct {
	regimes   map[string]*Regime
	calendars map[string]*Calendar
	notices   map[string]*notice // by noticeKey
	disabled  map[string]*Regime // entries that remove a regime (when extending)
	// failed are the names (file name without .yaml) of regime files that
	// did not load, so that their templates are not reported as orphans.
	failed map[string]bool
}

var builtinOnce = sync.OnceValues(func() (*Catalog, error) {
	sub, err := fs.Sub(builtin, "catalog")
	if err != nil {
		return nil, fmt.Errorf("load the built-in catalog: %w", err)
	}
	return LoadFS(sub, "builtin:")
})

// Builtin returns the catalog shipped with Vigil. An error means a bad
// build; the tests load it.
func Builtin() (*Catalog, error) { return builtinOnce() }

// LoadDir loads a catalog folder: regimes/*.yaml, holidays/*.yaml and
// notices/*.tmpl beneath dir. Errors name files by their path under dir.
func LoadDir(dir string) (*Catalog, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("load catalog %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("load catalog %s: not a folder", dir)
	}
	return LoadFS(os.DirFS(dir), filepath.Clean(dir)+string(filepath.Separator))
}

// LoadFS loads a catalog from fsys; prefix is put before file names in
// errors. On faults it returns the catalog of the entries that loaded
// and an Errors listing every fault with file, line and field; a regime
// whose calendar or templates are at fault is left out.
func LoadFS(fsys fs.FS, prefix string) (*Catalog, error) {
	c, errs := parseFS(fsys, prefix)
	errs = append(errs, c.check()...)
	if len(errs) > 0 {
		errs.sort()
		return c, errs
	}
	return c, nil
}

func newCatalog() *Catalog {
	return &Catalog{regimes: map[string]*Regime{}, calendars: map[string]*Calendar{},
		notices: map[string]*notice{}, disabled: map[string]*Regime{}, failed: map[string]bool{}}
}

// parseFS reads every file of a catalog folder, without the cross-checks.
func parseFS(fsys fs.FS, prefix string) (*Catalog, Errors) {
	c := newCatalog()
	var errs Errors
	found := false
	for _, dir := range []string{dirRegimes, dirHolidays, dirNotices} {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			continue
		}
		found = true
		for _, e := range entries {
			name := path.Join(dir, e.Name())
			file := prefix + name
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "README") {
				continue
			}
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				errs = append(errs, &ParseError{File: file, Reason: err.Error()})
				continue
			}
			errs = append(errs, asErrors(c.add(dir, e.Name(), file, data))...)
		}
	}
	if !found {
		errs = append(errs, &ParseError{File: prefix, Reason: "no regimes, holidays or notices" +
			" folder: not a catalog"})
	}
	return c, errs
}

// add parses one file of a catalog folder.
func (c *Catalog) add(dir, base, file string, data []byte) error {
	switch dir {
	case dirRegimes:
		if !strings.HasSuffix(base, ".yaml") && !strings.HasSuffix(base, ".yml") {
			return Errors{{File: file, Reason: "not a .yaml file"}}
		}
		re, disabled, err := ParseRegime(data, file)
		if err != nil {
			c.failed[strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")] = true
			return err
		}
		if prev := c.byID(re.ID); prev != nil {
			return Errors{{File: file, Line: re.Line, Field: "id", Reason: fmt.Sprintf(
				"regime %q is also defined in %s", re.ID, prev.File)}}
		}
		if disabled {
			c.disabled[re.ID] = re
		} else {
			c.regimes[re.ID] = re
		}
	case dirHolidays:
		if !strings.HasSuffix(base, ".yaml") && !strings.HasSuffix(base, ".yml") {
			return Errors{{File: file, Reason: "not a .yaml file"}}
		}
		cal, err := ParseCalendar(data, file)
		if err != nil {
			return err
		}
		if prev, ok := c.calendars[cal.ID]; ok {
			return Errors{{File: file, Line: cal.Line, Field: "id", Reason: fmt.Sprintf(
				"calendar %q is also defined in %s", cal.ID, prev.File)}}
		}
		c.calendars[cal.ID] = cal
	case dirNotices:
		n, err := parseNotice(base, file, data)
		if err != nil {
			return Errors{err.(*ParseError)}
		}
		c.notices[noticeKey(n.regime, n.stage, n.lang)] = n
	}
	return nil
}

func (c *Catalog) byID(id string) *Regime {
	if re, ok := c.regimes[id]; ok {
		return re
	}
	return c.disabled[id]
}

// ExtendDir returns the catalog c with the catalog folder dir laid on top
// (see LoadDir for the layout): a regime, calendar or template of dir
// replaces the one of the same ID (or file name) in c, and a regime file
// with "disabled: true" removes that regime. dir may hold only some of
// the folders. The result is checked as a whole; c is not changed.
func (c *Catalog) ExtendDir(dir string) (*Catalog, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("extend catalog with %s: %w", dir, err)
	}
	return c.ExtendFS(os.DirFS(dir), filepath.Clean(dir)+string(filepath.Separator))
}

// ExtendFS is ExtendDir on a file system; prefix is put before file names
// in errors.
func (c *Catalog) ExtendFS(fsys fs.FS, prefix string) (*Catalog, error) {
	over, errs := parseFS(fsys, prefix)
	out := newCatalog()
	for _, src := range []*Catalog{c, over} {
		maps.Copy(out.regimes, src.regimes)
		maps.Copy(out.calendars, src.calendars)
		maps.Copy(out.notices, src.notices)
	}
	out.failed = over.failed
	for id := range over.disabled {
		delete(out.regimes, id)
		for k, n := range out.notices {
			if n.regime == id {
				delete(out.notices, k)
			}
		}
	}
	errs = append(errs, out.check()...)
	if len(errs) > 0 {
		errs.sort()
		return out, errs
	}
	return out, nil
}

// noCalendar says that calendar cal is missing and which ones there are.
func noCalendar(cal string, have []string) string {
	if len(have) == 0 {
		return fmt.Sprintf("no holiday calendar %q; the catalog has none (add %s/%s.yaml)",
			cal, dirHolidays, cal)
	}
	return fmt.Sprintf("no holiday calendar %q; have %s", cal, strings.Join(have, ", "))
}

// check cross-checks the catalog: calendars exist, every stage has an
// English template, every template shows the stage's required content and
// belongs to a regime. Regimes at fault are removed.
func (c *Catalog) check() Errors {
	var errs Errors
	bad := map[string]bool{}
	for _, id := range sortedKeys(c.regimes) {
		re := c.regimes[id]
		for i := range re.Stages {
			st := &re.Stages[i]
			if cal := st.Deadline.Calendar; cal != "" && c.calendars[cal] == nil {
				errs = append(errs, &ParseError{File: re.File, Line: st.Deadline.calendarLine,
					Field:  fmt.Sprintf("stages[%d].deadline.calendar", i),
					Reason: noCalendar(cal, sortedKeys(c.calendars))})
				bad[id] = true
			}
			if c.notice(re.ID, st.ID, "en") == nil {
				errs = append(errs, &ParseError{File: re.File, Line: st.line,
					Field: fmt.Sprintf("stages[%d]", i), Reason: fmt.Sprintf(
						"no English notice template %s/%s.%s.en.tmpl or %s/%s.en.tmpl",
						dirNotices, re.ID, st.ID, dirNotices, re.ID)})
				bad[id] = true
			}
		}
	}
	errs = append(errs, c.checkNotices(bad)...)
	for id := range bad {
		delete(c.regimes, id)
	}
	return errs
}

// checkNotices checks that each template belongs to a regime and stage
// and shows the content elements of every stage it serves; bad collects
// the regimes at fault.
func (c *Catalog) checkNotices(bad map[string]bool) Errors {
	var errs Errors
	for _, k := range sortedKeys(c.notices) {
		n := c.notices[k]
		re, ok := c.regimes[n.regime]
		if !ok && c.failed[n.regime] {
			continue // the regime's own fault is reported
		}
		if !ok {
			errs = append(errs, &ParseError{File: n.file, Reason: fmt.Sprintf(
				"no regime %q for this template", n.regime)})
			continue
		}
		if n.stage != "" {
			if _, ok := re.Stage(n.stage); !ok {
				errs = append(errs, &ParseError{File: n.file, Reason: fmt.Sprintf(
					"regime %s has no stage %q", re.ID, n.stage)})
				bad[re.ID] = true
				continue
			}
		}
		for i := range re.Stages {
			st := &re.Stages[i]
			if n.stage != "" && st.ID != n.stage || n.stage == "" &&
				c.notices[noticeKey(re.ID, st.ID, n.lang)] != nil {
				continue // another template serves this stage
			}
			// A trial run catches what parsing cannot: a field that
			// does not exist, a function called with the wrong type.
			trial := Obligation{Key: Key{Regime: re.ID, Stage: st.ID}}
			if _, err := n.render(re, st, trial, Summary{}); err != nil {
				errs = append(errs, templateError(n.file, err))
				bad[re.ID] = true
				continue
			}
			for _, el := range st.Content {
				if !slices.Contains(n.elements, el) {
					errs = append(errs, &ParseError{File: n.file, Field: "content", Reason: fmt.Sprintf(
						"stage %s of regime %s requires content element %q; the template never"+
							` shows {{element "%s"}}`, st.ID, re.ID, el, el)})
					bad[re.ID] = true
				}
			}
		}
	}
	return errs
}

// Regimes returns the regimes sorted by ID.
func (c *Catalog) Regimes() []*Regime {
	out := make([]*Regime, 0, len(c.regimes))
	for _, id := range sortedKeys(c.regimes) {
		out = append(out, c.regimes[id])
	}
	return out
}

// Regime returns the regime with the ID, or false.
func (c *Catalog) Regime(id string) (*Regime, bool) {
	re, ok := c.regimes[id]
	return re, ok
}

// Calendars returns the holiday calendars sorted by ID.
func (c *Catalog) Calendars() []*Calendar {
	out := make([]*Calendar, 0, len(c.calendars))
	for _, id := range sortedKeys(c.calendars) {
		out = append(out, c.calendars[id])
	}
	return out
}

// Calendar returns the holiday calendar with the ID, or false.
func (c *Catalog) Calendar(id string) (*Calendar, bool) {
	cal, ok := c.calendars[id]
	return cal, ok
}

// Templates returns the notice template files, sorted.
func (c *Catalog) Templates() []string {
	out := make([]string, 0, len(c.notices))
	for _, n := range c.notices {
		out = append(out, n.file)
	}
	slices.Sort(out)
	return out
}
