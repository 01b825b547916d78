// Package anomaly learns the structure of log messages and, in later files,
// raises alerts when it changes.
//
// The Miner turns messages into templates online: variable parts (numbers,
// hexadecimal strings, addresses, paths, time stamps, sizes) are masked,
// messages with equal masked tokens share a template, and templates that
// differ in one position merge once that position has shown enough distinct
// values. Template IDs are stable; memory is bounded by a cap on templates
// with least-recently-used eviction. docs/anomaly.md has the algorithm, its
// accuracy on Loghub and its speed.
//
// The package owns no storage, HTTP or command line: state is exported and
// restored as values, and cmd/vigil exposes the miner as "vigil logparse".
package anomaly
