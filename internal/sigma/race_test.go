//go:build race

package sigma

// raceEnabled is set under the race detector, which makes sync.Pool drop
// items at random: the regexp package then allocates matchers.
const raceEnabled = true
