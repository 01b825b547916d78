package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/team"
)

// wallLayout is how the roster form writes and reads a shift's times.
const wallLayout = "2006-01-02 15:04"

// teamView is a team of the directory with who it engages now and its
// roster as the form writes it.
type teamView struct {
	team.Team
	OnCallNow  team.OnCall
	RosterText string
	Shifts     []shiftView
}

// shiftView is a shift with its times in its own zone.
type shiftView struct {
	User, Zone string
	Start, End string
	Now        bool // the shift covers the moment the page was made
}

// teamsData is the data of the teams directory page.
type teamsData struct {
	Teams   []teamView
	Kinds   []team.Kind
	Error   string
	CanEdit bool
	Form    string     // "new", or the ID of the team whose form failed
	sent    url.Values // what the failed form sent
}

func (teamsData) pageTitle() string { return "Teams" }

// Value returns what the failed form sent in field, and current for any
// other form, so that a refused edit keeps what the user typed.
func (d teamsData) Value(form, field, current string) string {
	if d.Form != form || d.sent == nil {
		return current
	}
	return d.sent.Get(field)
}

// teamList shows the directory of teams with their members and rosters;
// admins edit them.
func (s *server) teamList(w http.ResponseWriter, r *http.Request, se *session) {
	s.showTeams(w, r, se, http.StatusOK, "", "")
}

func (s *server) showTeams(w http.ResponseWriter, r *http.Request, se *session, status int,
	msg, form string) {
	d, err := loadTeams(r.Context(), se)
	if err != nil {
		s.fail(w, r, se, err)
		return
	}
	d.Error, d.Form, d.sent = msg, form, r.PostForm
	d.CanEdit = can(se.Principal, "POST /teams/{id}")
	s.render(w, r, status, "teams", se, d)
}

func loadTeams(ctx context.Context, se *session) (*teamsData, error) {
	var list struct {
		Items []team.Team `json:"items"`
	}
	if err := se.api.get(ctx, "/api/v1/teams", &list); err != nil {
		return nil, err
	}
	d := &teamsData{Kinds: team.Kinds()}
	now := time.Now()
	for _, t := range list.Items {
		tv := teamView{Team: t, RosterText: rosterText(t.Roster)}
		if err := se.api.get(ctx, "/api/v1/teams/"+url.PathEscape(t.ID)+"/oncall",
			&tv.OnCallNow); err != nil {
			return nil, err
		}
		for _, sh := range t.Roster {
			loc := zone(sh.TimeZone)
			tv.Shifts = append(tv.Shifts, shiftView{User: sh.User, Zone: loc.String(),
				Start: sh.Start.In(loc).Format(wallLayout), End: sh.End.In(loc).Format(wallLayout),
				Now: !now.Before(sh.Start) && now.Before(sh.End)})
		}
		d.Teams = append(d.Teams, tv)
	}
	return d, nil
}

// zone loads a shift's zone; "" and an unknown one are UTC.
func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		return time.UTC
	}
	return loc
}

// rosterText writes a roster one shift a line, "user, start, end, zone",
// times as wall clock in the shift's zone, or RFC 3339 where the wall
// clock is ambiguous (the hour a daylight-saving change repeats).
func rosterText(shifts []team.Shift) string {
	var b strings.Builder
	at := func(t time.Time, loc *time.Location) string {
		s := t.In(loc).Format(wallLayout)
		if back, err := team.ParseShiftTime(s, loc); err != nil || !back.Equal(t) {
			return t.In(loc).Format(time.RFC3339)
		}
		return s
	}
	for _, sh := range shifts {
		loc := zone(sh.TimeZone)
		fmt.Fprintf(&b, "%s, %s, %s, %s\n", sh.User, at(sh.Start, loc), at(sh.End, loc),
			loc.String())
	}
	return b.String()
}

// teamChange answers for a change of the directory: on success it sends
// the browser back to the team; a refusal the user can act on (a 4xx but
// 403 and 404) shows the page with the API's message, the failed form
// keeping what was typed.
func (s *server) teamChange(w http.ResponseWriter, r *http.Request, se *session, form,
	anchor string, err error) {
	ae, ok := err.(*apiError)
	switch {
	case err == nil:
		http.Redirect(w, r, "/teams#team-"+url.PathEscape(anchor), http.StatusSeeOther)
	case ok && ae.Status != http.StatusNotFound && ae.Status != http.StatusForbidden &&
		ae.Status < 500:
		s.showTeams(w, r, se, ae.Status, ae.Msg, form)
	default:
		s.fail(w, r, se, err)
	}
}

// list splits a comma-separated field into its trimmed, non-empty items.
func list(v string) []string {
	out := []string{}
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// teamBody is the JSON of the team form's fields.
func teamBody(r *http.Request) map[string]any {
	return map[string]any{"name": form(r, "name"), "kind": form(r, "kind"),
		"members": list(form(r, "members")), "services": list(form(r, "services")),
		"escalation_contact": form(r, "escalation_contact")}
}

// createTeam adds a team to the directory.
func (s *server) createTeam(w http.ResponseWriter, r *http.Request, se *session) {
	body := teamBody(r)
	body["id"] = form(r, "id")
	_, err := se.api.send(r.Context(), http.MethodPost, "/api/v1/teams", body, nil)
	s.teamChange(w, r, se, "new", form(r, "id"), err)
}

// editTeam changes a team's name, kind, members, escalation contact and
// services, at the version the page showed.
func (s *server) editTeam(w http.ResponseWriter, r *http.Request, se *session) {
	id := r.PathValue("id")
	_, err := se.api.send(r.Context(), http.MethodPatch, "/api/v1/teams/"+url.PathEscape(id),
		teamBody(r), map[string]string{"If-Match": `"v` + form(r, "version") + `"`})
	s.teamChange(w, r, se, id, id, err)
}

// rosterLine matches the index of a shift in the API's messages.
var rosterLine = regexp.MustCompile(`roster\[(\d+)\]`)

// setRoster replaces a team's roster with the shifts of the form, one a
// line, at the version the page showed. Messages name the line at fault.
func (s *server) setRoster(w http.ResponseWriter, r *http.Request, se *session) {
	id := r.PathValue("id")
	shifts, lines, err := parseRoster(r.PostForm.Get("roster"))
	if err == nil {
		_, err = se.api.send(r.Context(), http.MethodPut, "/api/v1/teams/"+
			url.PathEscape(id)+"/roster", map[string]any{"shifts": shifts},
			map[string]string{"If-Match": `"v` + form(r, "version") + `"`})
	}
	if ae, ok := err.(*apiError); ok {
		ae.Msg = rosterLine.ReplaceAllStringFunc(ae.Msg, func(m string) string {
			i, _ := strconv.Atoi(rosterLine.FindStringSubmatch(m)[1])
			if i < len(lines) {
				return fmt.Sprintf("roster line %d", lines[i])
			}
			return m
		})
	}
	s.teamChange(w, r, se, id, id, err)
}

// parseRoster reads the roster form: one shift a line, "user, start, end"
// and optionally ", zone" (default UTC); blank lines and lines starting
// with # are skipped. It returns the shifts as the API takes them and the
// line of each.
func parseRoster(text string) ([]map[string]string, []int, error) {
	shifts, lines := []map[string]string{}, []int{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		for j := range f {
			f[j] = strings.TrimSpace(f[j])
		}
		if len(f) == 3 {
			f = append(f, "UTC")
		}
		if len(f) != 4 || f[0] == "" {
			return nil, nil, unprocessable(fmt.Sprintf("roster line %d: want \"user, start, "+
				"end\" or \"user, start, end, time zone\"", i+1))
		}
		loc, err := time.LoadLocation(f[3])
		if err != nil || f[3] == "Local" {
			return nil, nil, unprocessable(fmt.Sprintf("roster line %d: %q is not an IANA "+
				"time zone", i+1, f[3]))
		}
		for _, v := range f[1:3] {
			if _, err := team.ParseShiftTime(v, loc); err != nil {
				return nil, nil, unprocessable(fmt.Sprintf("roster line %d: %v", i+1, err))
			}
		}
		shifts = append(shifts, map[string]string{"user": f[0], "start": f[1], "end": f[2],
			"time_zone": f[3]})
		lines = append(lines, i+1)
	}
	return shifts, lines, nil
}
