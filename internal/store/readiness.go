package store

import (
	"context"

	"github.com/vigilsec/vigil/internal/readiness"
)

// Readiness keeps the preparation program (internal/readiness;
// docs/readiness.md): the policy document, people's training records and
// completions, findings, exercises, and the marks that tie alerts and
// incidents to the exercise whose events raised them. Objects are kept
// whole as JSON documents beside the columns that are looked up; times
// come back as given. Versioned objects follow the contract of teams: a
// stale version gives a *ConflictError, an unknown key ErrNotFound.
// Completions, findings, exercises and marks are never deleted.
type Readiness interface {
	readiness.Store

	// MarkExercise records that the alert or incident (kind "alert" or
	// "incident") id was raised by events of exercise; marking it again
	// keeps the first mark.
	MarkExercise(ctx context.Context, kind string, id, exercise int64) error
	// ExerciseMarks returns the exercise of each of ids (of kind) that has
	// one.
	ExerciseMarks(ctx context.Context, kind string, ids []int64) (map[int64]int64, error)
	// ExerciseObjects returns the IDs of kind marked with exercise,
	// ascending.
	ExerciseObjects(ctx context.Context, exercise int64, kind string) ([]int64, error)
}

// The kinds of object an exercise mark names.
const (
	MarkAlert    = "alert"
	MarkIncident = "incident"
)
