// Package api is Vigil's HTTP API: event ingestion, alert and incident
// queries, the OpenAPI document that describes them, and the operational
// endpoints (/healthz, /readyz, /metrics). It owns HTTP concerns only:
// status codes, JSON shapes, bearer-token checks, body limits and request
// logging. Parsing belongs to internal/ingest, detection to internal/detect
// and storage to internal/store.
//
// # Routes
//
//	POST /api/v1/events          ingest NDJSON or a JSON array (bearer token)
//	GET  /api/v1/alerts          list alerts (bearer token)
//	GET  /api/v1/incidents       list incidents (bearer token)
//	GET  /api/v1/incidents/{id}  one incident (bearer token)
//	POST|GET|DELETE /api/v1/session      sign in (public), who am I, sign out
//	POST|GET /api/v1/tokens              create (secret shown once), list
//	DELETE /api/v1/tokens/{id}           revoke
//	POST|GET /api/v1/users               create, list
//	GET|PATCH /api/v1/users/{id}         one user; change roles, disabled,
//	                                     password
//	GET  /api/v1/openapi.json    the OpenAPI 3.1 document (public)
//	GET  /healthz                liveness (public)
//	GET  /readyz                 readiness: the store answers (public)
//	GET  /metrics                Prometheus metrics (bearer token unless
//	                             Config.MetricsPublic)
//
// Every error is a JSON object {"error": "message"}, including unknown routes
// (404) and wrong methods (405, with an Allow header). The document served at
// /api/v1/openapi.json is the reference for request and response shapes.
//
// # Authentication and authorization
//
// A request carries "Authorization: Bearer <token>", or the session cookie
// that POST /api/v1/session sets. A token is looked up by the SHA-256 of its
// secret; a missing, unknown, revoked or expired token gets 401 with a
// WWW-Authenticate challenge. A state-changing request authenticated by the
// cookie must carry the session's CSRF token in X-CSRF-Token (403
// otherwise). Then the table in authz.go decides which roles may call the
// route (403 otherwise; a route missing from it is refused to everyone).
// The principal is in the request context (auth.PrincipalFrom); another
// tenant's object answers 404. See docs/authorization.md.
package api
