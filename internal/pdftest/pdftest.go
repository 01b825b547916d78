// Package pdftest reads PDF documents back in tests with Poppler's
// command-line tools: pdftotext for the text and pdftoppm for the pages as
// images (Debian package poppler-utils; scripts/test.sh installs it). When
// a tool is missing a test fails if the CI environment variable is set and
// skips otherwise, saying why either way.
package pdftest

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

// need returns the path of tool, or ends the test when it is missing.
func need(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		msg := tool + " is missing (install poppler-utils: DEBIAN_FRONTEND=noninteractive " +
			"apt-get install -y poppler-utils)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// write stores pdf in a temporary file and returns its path.
func write(t testing.TB, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs a tool with a time limit and fails the test on error.
func run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(name), args, err, stderr.String())
	}
	return out
}

// Text returns the text of pdf as pdftotext reads it, in reading order
// (-layout keeps table rows on one line).
func Text(t testing.TB, pdf []byte) string {
	t.Helper()
	tool := need(t, "pdftotext")
	return string(run(t, tool, "-layout", "-enc", "UTF-8", write(t, pdf), "-"))
}

// Pages renders every page of pdf at dpi with pdftoppm and returns the
// images in page order. A page that does not render fails the test.
func Pages(t testing.TB, pdf []byte, dpi int) []image.Image {
	t.Helper()
	tool := need(t, "pdftoppm")
	dir := t.TempDir()
	run(t, tool, "-png", "-r", strconv.Itoa(dpi), write(t, pdf), filepath.Join(dir, "page"))
	names, err := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if err != nil || len(names) == 0 {
		t.Fatalf("pdftoppm rendered no page (%v)", err)
	}
	sort.Strings(names)
	var out []image.Image
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("page %s: %v", filepath.Base(n), err)
		}
		out = append(out, img)
	}
	return out
}

// CountColor counts the pixels of img within tol (per channel, 0–255) of
// the colour r, g, b.
func CountColor(img image.Image, r, g, b, tol int) int {
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(int(pr>>8), r, tol) && near(int(pg>>8), g, tol) && near(int(pb>>8), b, tol) {
				n++
			}
		}
	}
	return n
}

func near(a, b, tol int) bool { return a-b <= tol && b-a <= tol }
