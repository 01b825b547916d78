package detect

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/vigilsec/vigil/internal/event"
)

// ExerciseMarker records that an alert or incident (kind "alert" or
// "incident") was raised by the events of an exercise. When
// Config.Alerts implements it, the pipeline marks what exercise events
// raise, and the notification path leaves marked incidents alone
// (docs/readiness.md).
type ExerciseMarker interface {
	MarkExercise(ctx context.Context, kind string, id, exercise int64) error
}

// exercisePath is the field that tags an exercise's events; the API lets
// only responders post it, for an exercise that is open.
var exercisePath = event.NewPath("vigil.exercise")

// ExerciseOf returns the exercise ID an event is tagged with (its field
// vigil.exercise, a positive integer as a number or a string), or 0.
func ExerciseOf(e *event.Event) int64 {
	v, ok := e.Lookup(exercisePath)
	if !ok {
		return 0
	}
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = v
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case int64:
		s = strconv.FormatInt(v, 10)
	case int:
		s = strconv.Itoa(v)
	default:
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// mark records an exercise mark when the object has an exercise and the
// store can mark. A failure is logged and counted: the object is stored.
// TODO: mark in the insert's transaction; a crash in between leaves an
// exercise's alert unmarked (and its incident able to notify).
func (p *Pipeline) mark(ctx context.Context, kind string, id, exercise int64) {
	if exercise == 0 || p.marker == nil {
		return
	}
	if err := p.marker.MarkExercise(ctx, kind, id, exercise); err != nil {
		p.m.errors.Inc()
		p.log.Error("mark exercise", "kind", kind, "id", id, "exercise", exercise, "err", err)
	}
}
