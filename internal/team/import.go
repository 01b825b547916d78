package team

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// wallLayouts are the wall-clock forms a shift time may take in YAML,
// read in the shift's time zone; RFC 3339 (with an offset) is read as is.
var wallLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05",
	"2006-01-02T15:04:05"}

// ParseTeams reads a directory file (docs/team.md shows the format): a map
// with the key "teams", a list of teams, each with its roster. file names
// the source in errors. A problem gives a *ParseError naming the file, the
// key and the line; every team is validated (Team.Validate).
func ParseTeams(data []byte, file string) ([]Team, error) {
	d := yamlDoc{file: file}
	root, err := d.root(data)
	if err != nil {
		return nil, err
	}
	top, err := d.fields(root, "", "teams")
	if err != nil {
		return nil, err
	}
	seq, ok := top["teams"]
	if !ok || seq.Kind != yaml.SequenceNode {
		return nil, d.errorf(root, "teams", "want a list of teams")
	}
	var teams []Team
	seen := map[string]bool{}
	for i, n := range seq.Content {
		path := fmt.Sprintf("teams[%d]", i)
		t, err := d.team(n, path)
		if err != nil {
			return nil, err
		}
		if seen[t.ID] {
			return nil, d.errorf(n, path+".id", "team %q appears twice", t.ID)
		}
		seen[t.ID] = true
		if err := t.Validate(); err != nil {
			return nil, d.errorf(n, path, "%v", err)
		}
		teams = append(teams, t)
	}
	return teams, nil
}

func (d yamlDoc) team(n *yaml.Node, path string) (Team, error) {
	f, err := d.fields(n, path, "id", "name", "kind", "members", "escalation_contact",
		"services", "time_zone", "roster")
	if err != nil {
		return Team{}, err
	}
	var t Team
	var kind, zone string
	for _, s := range []struct {
		key string
		dst *string
	}{{"id", &t.ID}, {"name", &t.Name}, {"kind", &kind},
		{"escalation_contact", &t.EscalationContact}, {"time_zone", &zone}} {
		if *s.dst, err = d.str(f, s.key, path); err != nil {
			return Team{}, err
		}
	}
	t.Kind = Kind(kind)
	if t.Members, err = d.list(f, "members", path); err != nil {
		return Team{}, err
	}
	if t.Services, err = d.list(f, "services", path); err != nil {
		return Team{}, err
	}
	if r, ok := f["roster"]; ok {
		if t.Roster, err = d.roster(r, path+".roster", zone); err != nil {
			return Team{}, err
		}
	}
	return t, nil
}

func (d yamlDoc) roster(n *yaml.Node, path, zone string) ([]Shift, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, d.errorf(n, path, "want a list of shifts")
	}
	var shifts []Shift
	for i, c := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		f, err := d.fields(c, p, "user", "start", "end", "time_zone")
		if err != nil {
			return nil, err
		}
		s := Shift{TimeZone: zone}
		if s.User, err = d.str(f, "user", p); err != nil {
			return nil, err
		}
		if z, _ := d.str(f, "time_zone", p); z != "" {
			s.TimeZone = z
		}
		loc, err := loadZone(s.TimeZone)
		if err != nil {
			return nil, d.errorf(c, p+".time_zone", "%v", err)
		}
		for _, e := range []struct {
			key string
			dst *time.Time
		}{{"start", &s.Start}, {"end", &s.End}} {
			v, _ := d.str(f, e.key, p)
			if *e.dst, err = ParseShiftTime(v, loc); err != nil {
				return nil, d.errorf(f[e.key], p+"."+e.key, "%v", err)
			}
		}
		shifts = append(shifts, s)
	}
	return shifts, nil
}

// ParseShiftTime reads a shift time: RFC 3339 with an offset, or a wall
// clock time ("2026-03-29 08:00") in loc. A wall time that a
// daylight-saving change skips or repeats resolves as time.Date does.
func ParseShiftTime(v string, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, errors.New("a time is required")
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, l := range wallLayouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor \"YYYY-MM-DD HH:MM\"", v)
}
