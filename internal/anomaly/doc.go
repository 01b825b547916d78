// Package anomaly learns the structure of log messages and raises alerts
// when it changes.
//
// The Miner turns messages into templates online: variable parts (numbers,
// hexadecimal strings, addresses, paths, time stamps, sizes) are masked,
// messages with equal masked tokens share a template, and templates that
// differ in one position merge once that position has shown enough distinct
// values. Template IDs are stable; memory is bounded by a cap on templates
// with least-recently-used eviction.
//
// The Detector runs the models over events, per service: a new or rare
// template after a learning period; spikes and silences of the message
// rate of each (service, template) and (host, level), against a seasonal
// baseline (the same hour of the week, else of the day, else the recent
// buckets) with the median and MAD; and never-seen values of watched
// parameters (users, addresses, processes). Its alerts are detect.Alerts
// with an Explanation, returned to the detection pipeline, which stores
// them with the rules' alerts. Thresholds can be tuned, and models muted,
// per service. The state is exported and restored as bytes.
//
// docs/anomaly.md has the algorithms, their accuracy and their speed. The
// package owns no storage, HTTP or command line: cmd/vigil wires the
// Detector into "vigil serve" and the Miner into "vigil logparse".
package anomaly
