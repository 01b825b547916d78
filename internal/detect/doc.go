// Package detect is the detection pipeline: it runs stored events through the
// loaded Sigma rules, raises alerts, and opens an incident for alerts of level
// high or critical. It owns the Alert type; storage is behind the small
// interfaces it declares, and HTTP is internal/api's business.
package detect
