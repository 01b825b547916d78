// Package scenarios holds the breach scenarios shipped with Vigil, for
// vigil exercise run (docs/readiness.md): YAML files of events with
// relative times and the detections the repository's rules must raise.
// They are embedded so that the binary can replay them by name.
package scenarios

import "embed"

// FS holds the shipped scenario files, NAME.yaml at its root.
//
//go:embed *.yaml
var FS embed.FS
