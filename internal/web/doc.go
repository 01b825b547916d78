// Package web serves Vigil's server-rendered user interface: sign-in, the
// alert queue, the incident list and page (with its virtual team and phase
// tasks, its regulatory obligations and notices), approvals, support cases,
// the tenant portal where a tenant's administrator acknowledges its notices,
// and the audit trail, as Go html/template pages with their stylesheet and
// one small script (deadline countdowns) embedded in the binary.
//
// The pages hold no rules of their own: every read and every change is a
// call of the API handler (internal/api) in the same process, with the
// browser's session cookie and CSRF token, so a page sees and changes
// exactly what the API lets its user see and change (roles, tenants, phase
// gates, optimistic concurrency, the audit trail). On top of that each page
// route has an entry in the page permission table (authz.go); a route
// missing from it answers 403 to everyone. Confirming an alert into an
// incident goes through the Triage interface.
//
// The package does not own sessions, passwords or the rate limit of
// sign-in (internal/api and internal/auth do), nor any storage.
package web
