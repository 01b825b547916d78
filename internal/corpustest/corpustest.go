// Package corpustest finds the shared test corpus (../shared/corpus from the
// repository root) for tests. When the corpus is missing a test fails if the
// CI environment variable is set and skips otherwise, saying why either way.
package corpustest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Root returns the repository root, found from this source file's location.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Path returns the path of a corpus entry, e.g. Path(t, "attack-json"). It
// fails the test under CI, and skips it elsewhere, when the entry is missing.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Root(), "..", "shared", "corpus"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		msg := "test corpus missing: " + p + " (expected ../shared/corpus beside the repository)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}
