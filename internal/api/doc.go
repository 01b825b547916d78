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
// # Authentication
//
// A request carries "Authorization: Bearer <token>". The token is looked up by
// the SHA-256 of its secret; a missing, unknown, revoked or expired token gets
// 401 with a WWW-Authenticate challenge. Any valid token may call every route
// for now; roles are not checked yet.
package api
