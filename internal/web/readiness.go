package web

import (
	"errors"
	"net/http"

	"github.com/vigilsec/vigil/internal/readiness"
)

// readinessData is the data of the readiness page: the training report
// (nil when the user's role may not read training records), the open
// findings with their deadlines, and the exercises with their last run.
type readinessData struct {
	Training      *readiness.Report
	TrainingError string
	Findings      []readiness.Finding
	Overdue       int
	Exercises     []exerciseRow
}

func (readinessData) pageTitle() string { return "Readiness" }

// exerciseRow is an exercise with its latest run, when it has one.
type exerciseRow struct {
	readiness.Exercise
	Last *readiness.Run
}

// readinessPage shows the preparation program: who is overdue on training,
// which findings are open and overdue, and how the exercises went.
func (s *server) readinessPage(w http.ResponseWriter, r *http.Request, se *session) {
	var d readinessData
	var rep readiness.Report
	err := se.api.get(r.Context(), "/api/v1/training/report", &rep)
	var ae *apiError
	switch {
	case err == nil:
		d.Training = &rep
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		d.TrainingError = "Training records are shown to admins, responders, executives " +
			"and auditors."
	default:
		s.fail(w, r, se, err)
		return
	}
	var fs struct {
		Items   []readiness.Finding `json:"items"`
		Overdue int                 `json:"overdue"`
	}
	if err := se.api.get(r.Context(), "/api/v1/findings?open=true", &fs); err != nil {
		s.fail(w, r, se, err)
		return
	}
	d.Findings, d.Overdue = fs.Items, fs.Overdue
	var es struct {
		Items []readiness.Exercise `json:"items"`
	}
	if err := se.api.get(r.Context(), "/api/v1/exercises", &es); err != nil {
		s.fail(w, r, se, err)
		return
	}
	for _, e := range es.Items {
		row := exerciseRow{Exercise: e}
		if n := len(e.Runs); n > 0 {
			row.Last = &e.Runs[n-1]
		}
		d.Exercises = append(d.Exercises, row)
	}
	s.render(w, r, http.StatusOK, "readiness", se, d)
}
