//go:build !race

package sigma

// raceEnabled is set under the race detector (see race_test.go).
const raceEnabled = false
