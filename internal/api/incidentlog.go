package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// actionInput is the body of POST .../actions; who and when come from the
// request.
type actionInput struct {
	What   string `json:"what"`
	Result string `json:"result"`
}

// postAction answers POST /api/v1/incidents/{id}/actions: one more entry in
// the append-only log of actions taken.
func (s *server) postAction(w http.ResponseWriter, r *http.Request) {
	var in actionInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	if strings.TrimSpace(in.What) == "" {
		writeRequestError(w, invalid("what", "must not be empty"))
		return
	}
	s.change(w, r, false, func(rec *store.IncidentRecord, by string, now time.Time) ([]note,
		error) {
		a := incident.Action{By: by, At: now, What: strings.TrimSpace(in.What),
			Result: strings.TrimSpace(in.Result)}
		if err := rec.Record.AppendAction(a); err != nil {
			return nil, invalid("what", "%v", err)
		}
		return []note{{audit.ActionAppended, map[string]any{"what": a.What,
			"result": a.Result}}}, nil
	})
}

// commentInput is the body of POST .../comments.
type commentInput struct {
	Text string `json:"text"`
}

// postComment answers POST /api/v1/incidents/{id}/comments.
func (s *server) postComment(w http.ResponseWriter, r *http.Request) {
	var in commentInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	if strings.TrimSpace(in.Text) == "" {
		writeRequestError(w, invalid("text", "must not be empty"))
		return
	}
	s.change(w, r, false, func(rec *store.IncidentRecord, by string, now time.Time) ([]note,
		error) {
		rec.Record.Comments = append(rec.Record.Comments, incident.Comment{By: by, At: now,
			Text: strings.TrimSpace(in.Text)})
		return []note{{audit.CommentAdded, map[string]any{"length": len(in.Text)}}}, nil
	})
}

// postIndicator answers POST /api/v1/incidents/{id}/indicators: the value is
// normalized by incident.ParseIndicator (422 with the reason when it does
// not parse). An indicator already recorded widens its first and last seen.
func (s *server) postIndicator(w http.ResponseWriter, r *http.Request) {
	var in incident.Indicator
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	ind, err := parseIndicator(in)
	if err != nil {
		writeRequestError(w, err)
		return
	}
	s.change(w, r, false, func(rec *store.IncidentRecord, by string, now time.Time) ([]note,
		error) {
		r := &rec.Record
		i := slices.IndexFunc(r.Indicators, func(x incident.Indicator) bool {
			return x.Key() == ind.Key()
		})
		if i < 0 {
			r.Indicators = append(r.Indicators, ind)
		} else {
			r.Indicators[i] = mergeSeen(r.Indicators[i], ind)
		}
		return []note{{audit.IndicatorAdded, map[string]any{"kind": ind.Kind,
			"value": ind.Value, "source": ind.Source}}}, nil
	})
}

// parseIndicator checks and normalizes an indicator as sent.
func parseIndicator(in incident.Indicator) (incident.Indicator, *requestError) {
	if !slices.Contains(incident.IndicatorKinds(), in.Kind) {
		return in, invalid("kind", "%q is not one of %v", in.Kind, incident.IndicatorKinds())
	}
	ind, err := incident.ParseIndicator(in.Kind, in.Value)
	if err != nil {
		return in, invalid("value", "%v", err)
	}
	if !in.FirstSeen.IsZero() && !in.LastSeen.IsZero() && in.LastSeen.Before(in.FirstSeen) {
		return in, invalid("last_seen", "is before first_seen")
	}
	ind.FirstSeen, ind.LastSeen = in.FirstSeen.UTC(), in.LastSeen.UTC()
	if in.FirstSeen.IsZero() {
		ind.FirstSeen = time.Time{}
	}
	if in.LastSeen.IsZero() {
		ind.LastSeen = time.Time{}
	}
	ind.Source = strings.TrimSpace(in.Source)
	return ind, nil
}

// mergeSeen widens the first and last seen of old with those of add.
func mergeSeen(old, add incident.Indicator) incident.Indicator {
	if !add.FirstSeen.IsZero() && (old.FirstSeen.IsZero() || add.FirstSeen.Before(old.FirstSeen)) {
		old.FirstSeen = add.FirstSeen
	}
	if add.LastSeen.After(old.LastSeen) {
		old.LastSeen = add.LastSeen
	}
	if old.Source == "" {
		old.Source = add.Source
	}
	return old
}

// linkInput is the body of POST .../links.
type linkInput struct {
	Number string `json:"number"`
}

// postLink answers POST /api/v1/incidents/{id}/links: a related incident
// linked by hand, by its number.
func (s *server) postLink(w http.ResponseWriter, r *http.Request) {
	var in linkInput
	if err := decodeChange(r, &in); err != nil {
		writeRequestError(w, err)
		return
	}
	in.Number = strings.TrimSpace(in.Number)
	other, err := s.cfg.Store.IncidentIDByNumber(r.Context(), in.Number)
	if errors.Is(err, store.ErrNotFound) {
		writeRequestError(w, invalid("number", "no incident %q", in.Number))
		return
	} else if err != nil {
		s.storeError(w, "link incident", err)
		return
	}
	s.change(w, r, false, func(rec *store.IncidentRecord, by string, now time.Time) ([]note,
		error) {
		if other == rec.ID {
			return nil, invalid("number", "an incident is not related to itself")
		}
		if !slices.Contains(rec.Record.Related, in.Number) {
			rec.Record.Related = append(rec.Record.Related, in.Number)
		}
		return []note{{audit.IncidentLinked, map[string]any{"related": in.Number}}}, nil
	})
}

// relatedView is the answer of GET .../related.
type relatedView struct {
	// Linked are the numbers linked by hand.
	Linked []string `json:"linked"`
	// Suggested are incidents that share indicators, not linked yet.
	Suggested []suggestion `json:"suggested"`
}

type suggestion struct {
	ID     int64                `json:"id"`
	Number string               `json:"number"`
	Title  string               `json:"title"`
	Shared []incident.Indicator `json:"shared"`
}

// getRelated answers GET /api/v1/incidents/{id}/related: the incidents
// linked by hand and those incident.SuggestRelated proposes from shared
// indicators.
func (s *server) getRelated(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	rec, err := s.cfg.Store.GetIncidentRecord(r.Context(), id)
	if err != nil {
		s.storeError(w, "get incident record", err)
		return
	}
	others, err := s.cfg.Store.IncidentRecordsSharing(r.Context(), id, rec.Record.Indicators, 0)
	if err != nil {
		s.storeError(w, "related incidents", err)
		return
	}
	records := []incident.Record{rec.Record}
	byNumber := map[string]store.IncidentRecord{}
	for _, o := range others {
		records = append(records, o.Record)
		byNumber[o.Record.Number] = o
	}
	view := relatedView{Linked: append([]string{}, rec.Record.Related...),
		Suggested: []suggestion{}}
	for _, sg := range incident.SuggestRelated(records) {
		other := sg.B
		if sg.B == rec.Record.Number {
			other = sg.A
		} else if sg.A != rec.Record.Number {
			continue
		}
		o := byNumber[other]
		view.Suggested = append(view.Suggested, suggestion{ID: o.ID, Number: other,
			Title: o.Record.Title, Shared: sg.Shared})
	}
	writeJSON(w, http.StatusOK, view)
}
