package incident

import "errors"

// Sentinel errors, wrapped with the value at fault; test with errors.Is.
var (
	// ErrInvalidValue reports a value outside a documented set (a factor,
	// a priority, a severity level, a category, a phase, …).
	ErrInvalidValue = errors.New("invalid value")
	// ErrInvalidIndicator reports an indicator that does not parse as its kind.
	ErrInvalidIndicator = errors.New("invalid indicator")
	// ErrReasonRequired reports a decision or move that needs a reason and has none.
	ErrReasonRequired = errors.New("reason required")
	// ErrMissingField reports a required field left empty.
	ErrMissingField = errors.New("missing field")
)
