package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/vigilsec/vigil/internal/scope"
)

// maxTreeServers is how many servers of a farm the inventory page lists.
const maxTreeServers = 25

// inventoryData is the data of the inventory page.
type inventoryData struct {
	Revision  int64
	Regions   []scope.RegionTree
	Services  []scope.Service
	Counts    map[string]int
	CanImport bool
	Format    string
	Text      string // the refused file, shown again in the form
	Error     string
	Problems  []inventoryProblem
	Imported  string
	MaxShown  int
}

func (inventoryData) pageTitle() string { return "Inventory" }

// inventoryProblem is one problem of a refused import, as the API lists it.
type inventoryProblem struct {
	Line   int    `json:"line"`
	Entry  string `json:"entry"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// inventoryPage shows the inventory as a tree, and to admins the import
// form.
func (s *server) inventoryPage(w http.ResponseWriter, r *http.Request, se *session) {
	d := inventoryData{Format: "yaml", Imported: r.URL.Query().Get("imported")}
	s.showInventory(w, r, se, http.StatusOK, d)
}

func (s *server) showInventory(w http.ResponseWriter, r *http.Request, se *session, status int,
	d inventoryData) {
	var view struct {
		Revision  int64           `json:"revision"`
		Inventory scope.Inventory `json:"inventory"`
	}
	if err := se.api.get(r.Context(), "/api/v1/inventory", &view); err != nil {
		s.fail(w, r, se, err)
		return
	}
	inv := &view.Inventory
	d.Revision, d.Regions, d.Services = view.Revision, scope.Tree(inv), inv.Services
	d.Counts = map[string]int{"regions": len(inv.Regions), "datacenters": len(inv.Datacenters),
		"services": len(inv.Services), "farms": len(inv.Farms), "servers": len(inv.Servers)}
	d.CanImport = can(se.Principal, "POST /inventory/import")
	d.MaxShown = maxTreeServers
	s.render(w, r, status, "inventory", se, d)
}

// importInventory sends the pasted file to the API; a refusal shows the
// page with every problem and the text kept in the form.
func (s *server) importInventory(w http.ResponseWriter, r *http.Request, se *session) {
	format, text := form(r, "format"), r.PostForm.Get("file")
	ct := map[string]string{"yaml": "application/yaml", "csv": "text/csv"}[format]
	if ct == "" {
		format, ct = "yaml", "application/yaml"
	}
	res, err := se.api.sendRaw(r.Context(), http.MethodPut, "/api/v1/inventory", ct,
		[]byte(text))
	if err != nil {
		s.fail(w, r, se, err)
		return
	}
	switch {
	case res.status == http.StatusOK:
		var out struct {
			Revision int64 `json:"revision"`
		}
		_ = json.Unmarshal(res.body, &out)
		http.Redirect(w, r, fmt.Sprintf("/inventory?imported=%d", out.Revision),
			http.StatusSeeOther)
	case res.status == http.StatusUnprocessableEntity || res.status == http.StatusBadRequest ||
		res.status == http.StatusPreconditionFailed:
		d := inventoryData{Format: format, Text: text, Error: "The file was not imported."}
		var body struct {
			Problems []inventoryProblem `json:"problems"`
		}
		if json.Unmarshal(res.body, &body) == nil {
			d.Problems = body.Problems
		}
		if len(d.Problems) == 0 {
			d.Error = res.message()
		}
		s.showInventory(w, r, se, res.status, d)
	default:
		s.fail(w, r, se, &apiError{Status: res.status, Msg: res.message()})
	}
}

// sendRaw calls the API with a body that is not JSON (an inventory file)
// on behalf of the browser, with its cookies and CSRF token.
func (c *apiClient) sendRaw(ctx context.Context, method, path, contentType string,
	body []byte) (*apiResponse, error) {
	req, err := http.NewRequestWithContext(ctx, method, path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", method, path, err)
	}
	req.RemoteAddr, req.Host = c.from.RemoteAddr, c.from.Host
	for _, v := range c.from.Header.Values("Cookie") {
		req.Header.Add("Cookie", v)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-CSRF-Token", c.csrf)
	rec := &recorder{header: http.Header{}}
	c.h.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &apiResponse{status: rec.status, header: rec.header, body: rec.body.Bytes()}, nil
}

// pathEscape escapes one path segment.
func pathEscape(s string) string { return url.PathEscape(s) }
