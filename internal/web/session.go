package web

import (
	"net/http"
	"strings"
)

// loginData is the data of the sign-in page.
type loginData struct {
	Name  string
	Error string
}

func (loginData) pageTitle() string { return "Sign in" }

// loginPage shows the sign-in form.
func (s *server) loginPage(w http.ResponseWriter, r *http.Request, _ *session) {
	s.render(w, r, http.StatusOK, "login", nil, loginData{})
}

// login signs in through POST /api/v1/session, which checks the password,
// counts failures against the rate limit and sets the session cookie; the
// cookie is passed on to the browser. A cross-site post is refused, so
// that another site cannot sign a browser into an account of its choice.
func (s *server) login(w http.ResponseWriter, r *http.Request, _ *session) {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		s.forbidden(w, r, nil, "Sign-in from another site is not allowed.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, "login", nil, loginData{Error: "The form " +
			"could not be read."})
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	c := &apiClient{h: s.cfg.API, from: r}
	res, err := c.do(r.Context(), http.MethodPost, "/api/v1/session", map[string]string{
		"name": name, "password": r.PostForm.Get("password")}, nil)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	switch res.status {
	case http.StatusOK:
		for _, v := range res.header.Values("Set-Cookie") {
			w.Header().Add("Set-Cookie", v)
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	case http.StatusUnauthorized:
		s.render(w, r, http.StatusUnauthorized, "login", nil, loginData{Name: name,
			Error: "Wrong user name or password."})
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", res.header.Get("Retry-After"))
		s.render(w, r, http.StatusTooManyRequests, "login", nil, loginData{Name: name,
			Error: "Too many failed sign-ins. Try again later."})
	default:
		s.render(w, r, res.status, "login", nil, loginData{Name: name, Error: res.message()})
	}
}

// logout ends the session through DELETE /api/v1/session and clears the
// cookie.
func (s *server) logout(w http.ResponseWriter, r *http.Request, se *session) {
	res, err := se.api.send(r.Context(), http.MethodDelete, "/api/v1/session", nil, nil)
	if err != nil {
		s.fail(w, r, se, err)
		return
	}
	for _, v := range res.header.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", v)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
