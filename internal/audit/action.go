package audit

// Action names what an entry records. Names are dotted, lowercase
// "object.verb" and never change once released; each has a stable code
// (a letter for the object, three digits) that responders can search for.
type Action string

// Code is the stable short code of an Action: a letter for the object
// (A alert, I incident, T token, U user, E evidence, P approval, X audit,
// S suppression, C support case, V vulnerability report,
// N notification and webhook, R response team, K task, W watch rule,
// L training and the readiness policy, F finding, D exercise, Y inventory,
// O tenant and contact, M post-mortem and its follow-ups, G obligation and
// incident fact, J notice to a tenant or an authority) and three digits.
type Code string

// The actions and their codes. Only add to this block; never rename or
// reuse a name or a code.
const (
	// AlertRaised: a detection rule fired and the alert was stored.
	AlertRaised     Action = "alert.raised"
	AlertRaisedCode Code   = "A001"
	// AlertAcknowledged: a responder took an alert in hand.
	AlertAcknowledged     Action = "alert.acknowledged"
	AlertAcknowledgedCode Code   = "A002"
	// AlertAssigned: an alert was assigned to a responder.
	AlertAssigned     Action = "alert.assigned"
	AlertAssignedCode Code   = "A003"
	// AlertFalsePositive: an alert was marked a false positive.
	AlertFalsePositive     Action = "alert.false_positive"
	AlertFalsePositiveCode Code   = "A004"
	// AlertConfirmed: an alert was confirmed into an incident.
	AlertConfirmed     Action = "alert.confirmed"
	AlertConfirmedCode Code   = "A005"
	// AlertUnlinked: an alert was unlinked from an incident.
	AlertUnlinked     Action = "alert.unlinked"
	AlertUnlinkedCode Code   = "A006"

	// IncidentOpened: an incident was created.
	IncidentOpened     Action = "incident.opened"
	IncidentOpenedCode Code   = "I001"
	// IncidentUpdated: fields of an incident changed.
	IncidentUpdated     Action = "incident.updated"
	IncidentUpdatedCode Code   = "I002"
	// IncidentPhaseChanged: an incident moved to another phase.
	IncidentPhaseChanged     Action = "incident.phase_changed"
	IncidentPhaseChangedCode Code   = "I003"
	// IncidentClosed: an incident was closed.
	IncidentClosed     Action = "incident.closed"
	IncidentClosedCode Code   = "I004"
	// IncidentClassified: an incident was confirmed or found a false positive.
	IncidentClassified     Action = "incident.classified"
	IncidentClassifiedCode Code   = "I005"
	// IncidentLinked: an incident was linked by hand to a related one.
	IncidentLinked     Action = "incident.linked"
	IncidentLinkedCode Code   = "I006"
	// ActionAppended: an action taken was appended to an incident's log.
	ActionAppended     Action = "action.appended"
	ActionAppendedCode Code   = "I007"
	// CommentAdded: a handler's comment was added to an incident.
	CommentAdded     Action = "comment.added"
	CommentAddedCode Code   = "I008"
	// IndicatorAdded: an indicator was added to an incident.
	IndicatorAdded     Action = "indicator.added"
	IndicatorAddedCode Code   = "I009"

	// TokenCreated: an API token was created (never its secret or hash).
	TokenCreated     Action = "token.created"
	TokenCreatedCode Code   = "T001"
	// TokenRevoked: an API token was revoked.
	TokenRevoked     Action = "token.revoked"
	TokenRevokedCode Code   = "T002"

	// UserCreated: a user account was created.
	UserCreated     Action = "user.created"
	UserCreatedCode Code   = "U001"
	// UserLogin: a user signed in.
	UserLogin     Action = "user.login"
	UserLoginCode Code   = "U002"
	// UserLoginFailed: a sign-in was refused.
	UserLoginFailed     Action = "user.login_failed"
	UserLoginFailedCode Code   = "U003"
	// UserRoleChanged: a user's roles changed.
	UserRoleChanged     Action = "user.role_changed"
	UserRoleChangedCode Code   = "U004"
	// UserUpdated: a user's name, e-mail, disabled flag or password changed
	// (never the password or its hash).
	UserUpdated     Action = "user.updated"
	UserUpdatedCode Code   = "U005"
	// UserSessionEnded: a user's sign-in session ended (logout).
	UserSessionEnded     Action = "user.session_ended"
	UserSessionEndedCode Code   = "U006"

	// EvidenceAdded: evidence was uploaded or attached.
	EvidenceAdded     Action = "evidence.added"
	EvidenceAddedCode Code   = "E001"
	// EvidenceAccessed: evidence was read or downloaded.
	EvidenceAccessed     Action = "evidence.accessed"
	EvidenceAccessedCode Code   = "E002"
	// EvidenceExported: evidence left Vigil (export or transfer).
	EvidenceExported     Action = "evidence.exported"
	EvidenceExportedCode Code   = "E003"
	// EvidenceVerified: evidence was re-hashed against its SHA-256 (the
	// result is in the details).
	EvidenceVerified     Action = "evidence.verified"
	EvidenceVerifiedCode Code   = "E004"

	// ApprovalRequested: a high-impact step asked for an approval.
	ApprovalRequested     Action = "approval.requested"
	ApprovalRequestedCode Code   = "P001"
	// ApprovalGranted: an executive approved a step.
	ApprovalGranted     Action = "approval.granted"
	ApprovalGrantedCode Code   = "P002"
	// ApprovalDenied: an executive refused a step.
	ApprovalDenied     Action = "approval.denied"
	ApprovalDeniedCode Code   = "P003"

	// TeamCreated: a team was added to the directory (by hand or import).
	TeamCreated     Action = "team.created"
	TeamCreatedCode Code   = "R001"
	// TeamUpdated: a team's name, kind, members, contact or services changed.
	TeamUpdated     Action = "team.updated"
	TeamUpdatedCode Code   = "R002"
	// TeamRosterSet: a team's on-call roster was replaced.
	TeamRosterSet     Action = "team.roster_set"
	TeamRosterSetCode Code   = "R003"
	// IncidentEscalated: an incident was escalated to the security incident
	// response team, creating its virtual team.
	IncidentEscalated     Action = "incident.escalated"
	IncidentEscalatedCode Code   = "R004"
	// MemberEngaged: a person joined an incident's virtual team (who, role,
	// team, the rule that fired and why).
	MemberEngaged     Action = "member.engaged"
	MemberEngagedCode Code   = "R005"
	// MemberDisengaged: a person left an incident's virtual team, with why.
	MemberDisengaged     Action = "member.disengaged"
	MemberDisengagedCode Code   = "R006"
	// TaskCreated: a task was added to an incident's phase plan.
	TaskCreated     Action = "task.created"
	TaskCreatedCode Code   = "K001"
	// TaskUpdated: a task's status, owner, due time, title or result changed.
	TaskUpdated     Action = "task.updated"
	TaskUpdatedCode Code   = "K002"
	// WatchRuleAdded: a temporary watch rule was attached to an incident.
	WatchRuleAdded     Action = "watch_rule.added"
	WatchRuleAddedCode Code   = "W001"
	// WatchRuleRemoved: a watch rule was removed before its expiry.
	WatchRuleRemoved     Action = "watch_rule.removed"
	WatchRuleRemovedCode Code   = "W002"

	// AuditVerified: the audit chain was verified and found intact.
	AuditVerified     Action = "audit.verified"
	AuditVerifiedCode Code   = "X001"

	// AlertReopened: a false positive or confirmed alert went back to triage.
	AlertReopened     Action = "alert.reopened"
	AlertReopenedCode Code   = "A007"
	// SuppressionCreated: matches of a rule with given field values are
	// suppressed (from a false positive or by hand).
	SuppressionCreated     Action = "suppression.created"
	SuppressionCreatedCode Code   = "S001"
	// SuppressionDeleted: a suppression was removed.
	SuppressionDeleted     Action = "suppression.deleted"
	SuppressionDeletedCode Code   = "S002"
	// CaseFiled: a support case was filed.
	CaseFiled     Action = "case.filed"
	CaseFiledCode Code   = "C001"
	// CaseEscalated: a support case was escalated into an incident or a
	// vulnerability report.
	CaseEscalated     Action = "case.escalated"
	CaseEscalatedCode Code   = "C002"
	// VulnerabilityOpened: a vulnerability report was opened.
	VulnerabilityOpened     Action = "vulnerability.opened"
	VulnerabilityOpenedCode Code   = "V001"
	// VulnerabilityUpdated: a vulnerability report's state, owner or
	// severity changed.
	VulnerabilityUpdated     Action = "vulnerability.updated"
	VulnerabilityUpdatedCode Code   = "V002"

	// NotificationDead: a notification failed its last attempt and will not
	// be sent again unless retried by hand.
	NotificationDead     Action = "notification.dead"
	NotificationDeadCode Code   = "N001"
	// NotificationRetried: a failed or dead notification was retried by hand.
	NotificationRetried     Action = "notification.retried"
	NotificationRetriedCode Code   = "N002"
	// WebhookCreated: a webhook endpoint was added (never its secret).
	WebhookCreated     Action = "webhook.created"
	WebhookCreatedCode Code   = "N003"
	// WebhookDeleted: a webhook endpoint was removed.
	WebhookDeleted     Action = "webhook.deleted"
	WebhookDeletedCode Code   = "N004"

	// ReadinessPolicySet: the readiness policy (courses, role requirements,
	// due-date rules, background checks, finding deadlines) was replaced.
	ReadinessPolicySet     Action = "readiness_policy.set"
	ReadinessPolicySetCode Code   = "L001"
	// TrainingPersonSet: a person's training record (roles, teams, join
	// date, environments, background checks) was created or replaced.
	TrainingPersonSet     Action = "training_person.set"
	TrainingPersonSetCode Code   = "L002"
	// TrainingCompleted: a course completion was recorded with its evidence.
	TrainingCompleted     Action = "training.completed"
	TrainingCompletedCode Code   = "L003"
	// FindingCreated: a penetration-test, scan, exercise or audit finding
	// was entered.
	FindingCreated     Action = "finding.created"
	FindingCreatedCode Code   = "F001"
	// FindingsImported: findings were imported from a CSV or JSON report.
	FindingsImported     Action = "finding.imported"
	FindingsImportedCode Code   = "F002"
	// FindingUpdated: a finding's owner, severity, due date or text changed.
	FindingUpdated     Action = "finding.updated"
	FindingUpdatedCode Code   = "F003"
	// FindingStateChanged: a finding moved on its way to closure (risk
	// acceptances with their reason and expiry).
	FindingStateChanged     Action = "finding.state_changed"
	FindingStateChangedCode Code   = "F004"
	// ExerciseCreated: an exercise or drill was planned.
	ExerciseCreated     Action = "exercise.created"
	ExerciseCreatedCode Code   = "D001"
	// ExerciseUpdated: an exercise's details or status changed.
	ExerciseUpdated     Action = "exercise.updated"
	ExerciseUpdatedCode Code   = "D002"
	// ExerciseRunRecorded: the measured result of a scenario replay was
	// recorded on an exercise.
	ExerciseRunRecorded     Action = "exercise.run_recorded"
	ExerciseRunRecordedCode Code   = "D003"
	// InventoryImported: the whole inventory was replaced from a YAML, CSV
	// or JSON file (entry counts and revision in the details).
	InventoryImported     Action = "inventory.imported"
	InventoryImportedCode Code   = "Y001"
	// InventoryEntrySaved: one inventory entry (region, datacenter,
	// service, farm or server) was created or replaced.
	InventoryEntrySaved     Action = "inventory.entry_saved"
	InventoryEntrySavedCode Code   = "Y002"
	// InventoryEntryDeleted: one inventory entry was removed.
	InventoryEntryDeleted     Action = "inventory.entry_deleted"
	InventoryEntryDeletedCode Code   = "Y003"
	// TenantCreated: a tenant was created (by hand or by an import).
	TenantCreated     Action = "tenant.created"
	TenantCreatedCode Code   = "O001"
	// TenantUpdated: a tenant's name or regulatory profile changed.
	TenantUpdated     Action = "tenant.updated"
	TenantUpdatedCode Code   = "O002"
	// TenantDeleted: a tenant and its contacts were removed.
	TenantDeleted     Action = "tenant.deleted"
	TenantDeletedCode Code   = "O003"
	// ContactAdded: a designated administrator was added to a tenant
	// (never the contact's details, which are personal data: only its ID).
	ContactAdded     Action = "contact.added"
	ContactAddedCode Code   = "O004"
	// ContactUpdated: a contact's details, preferred channel or last
	// verification changed (the fields that changed, not their values).
	ContactUpdated     Action = "contact.updated"
	ContactUpdatedCode Code   = "O005"
	// ContactRemoved: a contact was removed from a tenant.
	ContactRemoved     Action = "contact.removed"
	ContactRemovedCode Code   = "O006"
	// IncidentScopeSet: an incident's scope was set or changed and its
	// affected tenants recomputed; the details list the tenants added and
	// removed.
	IncidentScopeSet     Action = "incident.scope_set"
	IncidentScopeSetCode Code   = "I010"

	// PostMortemCreated: an incident entered the post-incident phase and its
	// post-mortem was created, pre-filled from the record.
	PostMortemCreated     Action = "postmortem.created"
	PostMortemCreatedCode Code   = "M001"
	// PostMortemUpdated: the technical summary or the actors changed, or the
	// timeline took in the record's newer entries.
	PostMortemUpdated     Action = "postmortem.updated"
	PostMortemUpdatedCode Code   = "M002"
	// TimelineEntryAdded: a person added an entry to a post-mortem's timeline.
	TimelineEntryAdded     Action = "postmortem.entry_added"
	TimelineEntryAddedCode Code   = "M003"
	// TimelineEntryAnnotated: a note was added to a timeline entry.
	TimelineEntryAnnotated     Action = "postmortem.entry_annotated"
	TimelineEntryAnnotatedCode Code   = "M004"
	// TimelineEntryVisibility: a timeline entry was hidden from the report,
	// or shown again, with a reason.
	TimelineEntryVisibility     Action = "postmortem.entry_visibility"
	TimelineEntryVisibilityCode Code   = "M005"
	// PostMortemFindingAdded: a finding (category, evidence) was recorded.
	PostMortemFindingAdded     Action = "postmortem.finding_added"
	PostMortemFindingAddedCode Code   = "M006"
	// PostMortemFindingUpdated: a finding's category, text or evidence changed.
	PostMortemFindingUpdated     Action = "postmortem.finding_updated"
	PostMortemFindingUpdatedCode Code   = "M007"
	// PostMortemSignedOff: the commander or an executive signed a revision
	// of the post-mortem off.
	PostMortemSignedOff     Action = "postmortem.signed_off"
	PostMortemSignedOffCode Code   = "M008"
	// FollowUpCreated: a follow-up item of a post-mortem was created.
	FollowUpCreated     Action = "follow_up.created"
	FollowUpCreatedCode Code   = "M009"
	// FollowUpUpdated: a follow-up's owner, due date, title or text changed.
	FollowUpUpdated     Action = "follow_up.updated"
	FollowUpUpdatedCode Code   = "M010"
	// FollowUpStateChanged: a follow-up moved on its way to closure.
	FollowUpStateChanged     Action = "follow_up.state_changed"
	FollowUpStateChangedCode Code   = "M011"
	// FollowUpRuleLinked: a detection-rule follow-up was linked to the rule
	// version (ID and SHA-256 of its file) that answers it.
	FollowUpRuleLinked     Action = "follow_up.rule_linked"
	FollowUpRuleLinkedCode Code   = "M012"

	// Obligations of an incident (internal/obligation; docs/regulations.md).
	// FactRecorded: a fact of an incident (awareness, personal data
	// involved, ...) was recorded, for the incident or one tenant.
	FactRecorded     Action = "incident.fact_recorded"
	FactRecordedCode Code   = "G001"
	// ObligationsRecomputed: a new fact or scope changed the incident's
	// obligations; the details list what was added, removed and changed.
	ObligationsRecomputed     Action = "obligation.recomputed"
	ObligationsRecomputedCode Code   = "G002"
	// ObligationNotRequired: an obligation was marked not required, with a
	// reason.
	ObligationNotRequired     Action = "obligation.not_required"
	ObligationNotRequiredCode Code   = "G003"
	// ObligationReinstated: an obligation marked not required was
	// reinstated, with a reason.
	ObligationReinstated     Action = "obligation.reinstated"
	ObligationReinstatedCode Code   = "G004"
	// ObligationOverdue: the deadline of an obligation passed unsent.
	ObligationOverdue     Action = "obligation.overdue"
	ObligationOverdueCode Code   = "G005"
	// ObligationOverdueCleared: the overdue flag was cleared, with a reason.
	ObligationOverdueCleared     Action = "obligation.overdue_cleared"
	ObligationOverdueClearedCode Code   = "G006"
	// ObligationAlerted: a deadline reminder, at-risk escalation or overdue
	// alert was queued to people.
	ObligationAlerted     Action = "obligation.alerted"
	ObligationAlertedCode Code   = "G007"
	// ObligationStateChanged: an obligation moved to drafted, approved, sent
	// or acknowledged (obligation.Service.Transition).
	ObligationStateChanged     Action = "obligation.state_changed"
	ObligationStateChangedCode Code   = "G008"

	// NoticeDrafted: a notice was drafted for an obligation from the
	// catalog's template and the incident record (internal/notice).
	NoticeDrafted     Action = "notice.drafted"
	NoticeDraftedCode Code   = "J001"
	// NoticeEdited: a notice's subject or body changed; an approved one
	// went back to draft.
	NoticeEdited     Action = "notice.edited"
	NoticeEditedCode Code   = "J002"
	// NoticeApproved: legal approved a notice for sending.
	NoticeApproved     Action = "notice.approved"
	NoticeApprovedCode Code   = "J003"
	// NoticeSent: a notice was sent: queued to each designated contact,
	// copied to the tenant portal, or filed by hand with a reference.
	NoticeSent     Action = "notice.sent"
	NoticeSentCode Code   = "J004"
	// NoticeAcknowledged: a tenant's administrator acknowledged a notice.
	NoticeAcknowledged     Action = "notice.acknowledged"
	NoticeAcknowledgedCode Code   = "J005"
	// NoticeDelivered: a notice's delivery was accepted by its receiver;
	// the proof (time, channel, message ID, content hash) is kept as
	// evidence.
	NoticeDelivered     Action = "notice.delivered"
	NoticeDeliveredCode Code   = "J006"
)

// codes maps each known action to its code.
var codes = map[Action]Code{
	AlertRaised:          AlertRaisedCode,
	AlertAcknowledged:    AlertAcknowledgedCode,
	AlertAssigned:        AlertAssignedCode,
	AlertFalsePositive:   AlertFalsePositiveCode,
	AlertConfirmed:       AlertConfirmedCode,
	AlertUnlinked:        AlertUnlinkedCode,
	IncidentOpened:       IncidentOpenedCode,
	IncidentUpdated:      IncidentUpdatedCode,
	IncidentPhaseChanged: IncidentPhaseChangedCode,
	IncidentClosed:       IncidentClosedCode,
	IncidentClassified:   IncidentClassifiedCode,
	IncidentLinked:       IncidentLinkedCode,
	ActionAppended:       ActionAppendedCode,
	CommentAdded:         CommentAddedCode,
	IndicatorAdded:       IndicatorAddedCode,
	TokenCreated:         TokenCreatedCode,
	TokenRevoked:         TokenRevokedCode,
	UserCreated:          UserCreatedCode,
	UserLogin:            UserLoginCode,
	UserLoginFailed:      UserLoginFailedCode,
	UserRoleChanged:      UserRoleChangedCode,
	UserUpdated:          UserUpdatedCode,
	UserSessionEnded:     UserSessionEndedCode,
	EvidenceAdded:        EvidenceAddedCode,
	EvidenceAccessed:     EvidenceAccessedCode,
	EvidenceExported:     EvidenceExportedCode,
	EvidenceVerified:     EvidenceVerifiedCode,
	ApprovalRequested:    ApprovalRequestedCode,
	ApprovalGranted:      ApprovalGrantedCode,
	ApprovalDenied:       ApprovalDeniedCode,
	TeamCreated:          TeamCreatedCode,
	TeamUpdated:          TeamUpdatedCode,
	TeamRosterSet:        TeamRosterSetCode,
	IncidentEscalated:    IncidentEscalatedCode,
	MemberEngaged:        MemberEngagedCode,
	MemberDisengaged:     MemberDisengagedCode,
	TaskCreated:          TaskCreatedCode,
	TaskUpdated:          TaskUpdatedCode,
	WatchRuleAdded:       WatchRuleAddedCode,
	WatchRuleRemoved:     WatchRuleRemovedCode,
	AuditVerified:        AuditVerifiedCode,
	AlertReopened:        AlertReopenedCode,
	SuppressionCreated:   SuppressionCreatedCode,
	SuppressionDeleted:   SuppressionDeletedCode,
	CaseFiled:            CaseFiledCode,
	CaseEscalated:        CaseEscalatedCode,
	VulnerabilityOpened:  VulnerabilityOpenedCode,
	VulnerabilityUpdated: VulnerabilityUpdatedCode,
	NotificationDead:     NotificationDeadCode,
	NotificationRetried:  NotificationRetriedCode,
	WebhookCreated:       WebhookCreatedCode,
	WebhookDeleted:       WebhookDeletedCode,
	ReadinessPolicySet:   ReadinessPolicySetCode,
	TrainingPersonSet:    TrainingPersonSetCode,
	TrainingCompleted:    TrainingCompletedCode,
	FindingCreated:       FindingCreatedCode,
	FindingsImported:     FindingsImportedCode,
	FindingUpdated:       FindingUpdatedCode,
	FindingStateChanged:  FindingStateChangedCode,
	ExerciseCreated:      ExerciseCreatedCode,
	ExerciseUpdated:      ExerciseUpdatedCode,
	ExerciseRunRecorded:  ExerciseRunRecordedCode,

	InventoryImported:        InventoryImportedCode,
	InventoryEntrySaved:      InventoryEntrySavedCode,
	InventoryEntryDeleted:    InventoryEntryDeletedCode,
	TenantCreated:            TenantCreatedCode,
	TenantUpdated:            TenantUpdatedCode,
	TenantDeleted:            TenantDeletedCode,
	ContactAdded:             ContactAddedCode,
	ContactUpdated:           ContactUpdatedCode,
	ContactRemoved:           ContactRemovedCode,
	IncidentScopeSet:         IncidentScopeSetCode,
	PostMortemCreated:        PostMortemCreatedCode,
	PostMortemUpdated:        PostMortemUpdatedCode,
	TimelineEntryAdded:       TimelineEntryAddedCode,
	TimelineEntryAnnotated:   TimelineEntryAnnotatedCode,
	TimelineEntryVisibility:  TimelineEntryVisibilityCode,
	PostMortemFindingAdded:   PostMortemFindingAddedCode,
	PostMortemFindingUpdated: PostMortemFindingUpdatedCode,
	PostMortemSignedOff:      PostMortemSignedOffCode,
	FollowUpCreated:          FollowUpCreatedCode,
	FollowUpUpdated:          FollowUpUpdatedCode,
	FollowUpStateChanged:     FollowUpStateChangedCode,
	FollowUpRuleLinked:       FollowUpRuleLinkedCode,

	FactRecorded:             FactRecordedCode,
	ObligationsRecomputed:    ObligationsRecomputedCode,
	ObligationNotRequired:    ObligationNotRequiredCode,
	ObligationReinstated:     ObligationReinstatedCode,
	ObligationOverdue:        ObligationOverdueCode,
	ObligationOverdueCleared: ObligationOverdueClearedCode,
	ObligationAlerted:        ObligationAlertedCode,
	ObligationStateChanged:   ObligationStateChangedCode,

	NoticeDrafted:      NoticeDraftedCode,
	NoticeEdited:       NoticeEditedCode,
	NoticeApproved:     NoticeApprovedCode,
	NoticeSent:         NoticeSentCode,
	NoticeAcknowledged: NoticeAcknowledgedCode,
	NoticeDelivered:    NoticeDeliveredCode,
}

// Code returns the action's stable code ("A001"), or "" for an action that
// this binary does not know.
func (a Action) Code() Code { return codes[a] }

// Known reports whether a is one of the actions above.
func (a Action) Known() bool { _, ok := codes[a]; return ok }
