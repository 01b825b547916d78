package incident

// Approved reports whether the step with this ID holds an executive's
// approval in g, as the eradication gate counts one (by someone, at a
// time, with role RoleExecutive).
func (g Gates) Approved(step string) bool {
	return len(unapproved([]EradicationStep{{ID: step, HighImpact: true}}, g.Approvals)) == 0
}
