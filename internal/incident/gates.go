package incident

import "slices"

// Gates are the facts of an incident that its phase gates look at and that
// Record does not hold: the planned eradication steps and their approvals,
// recovery's validation checklist and the post-mortem sign-off. They are
// kept beside the Record; Facts turns them into GateFacts. Approvals are
// append-only.
type Gates struct {
	EradicationSteps    []EradicationStep `json:"eradication_steps"`
	Approvals           []Approval        `json:"approvals"` // append-only
	RecoveryChecks      []CheckItem       `json:"recovery_checks"`
	PostMortemSignedOff bool              `json:"post_mortem_signed_off"`
}

// Facts returns the GateFacts of a move: g's facts, the record's
// classification c and the reason for the move.
func (g Gates) Facts(c Classification, reason string) GateFacts {
	return GateFacts{
		Classification:      c,
		EradicationSteps:    slices.Clone(g.EradicationSteps),
		Approvals:           slices.Clone(g.Approvals),
		RecoveryChecks:      slices.Clone(g.RecoveryChecks),
		PostMortemSignedOff: g.PostMortemSignedOff,
		Reason:              reason,
	}
}
