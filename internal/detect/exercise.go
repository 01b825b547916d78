package detect

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/vigilsec/vigil/internal/event"
)

// ExerciseMarker records that an alert or incident (kind MarkAlert or
// MarkIncident) was raised by the events of an exercise. The pipeline
// marks what exercise events raise through its Tx, in the transaction
// that stores the alert or incident; without a Config.Tx, through
// Config.Alerts when it implements ExerciseMarker. The notification path
// leaves marked incidents alone (docs/readiness.md).
type ExerciseMarker interface {
	MarkExercise(ctx context.Context, kind string, id, exercise int64) error
}

// The kinds of object an exercise mark names (store.MarkAlert and
// store.MarkIncident have the same values).
const (
	MarkAlert    = "alert"
	MarkIncident = "incident"
)

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

// mark marks the object through tx, in the transaction that stores it,
// when it has an exercise: an exercise's alert or incident is never kept
// unmarked (and so able to notify).
func (p *Pipeline) mark(ctx context.Context, tx Tx, kind string, id, exercise int64) error {
	if exercise == 0 {
		return nil
	}
	return tx.MarkExercise(ctx, kind, id, exercise)
}
