package evidence_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vigilsec/vigil/internal/evidence"
)

func newBlobs(t *testing.T) (*evidence.FileBlobs, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "evidence")
	b, err := evidence.NewFileBlobs(root)
	if err != nil {
		t.Fatalf("NewFileBlobs: %v", err)
	}
	return b, root
}

func hexSHA(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func put(t *testing.T, b evidence.Blobs, content []byte) string {
	t.Helper()
	sha, n, err := b.Put(t.Context(), bytes.NewReader(content), 0)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if want := hexSHA(content); sha != want || n != int64(len(content)) {
		t.Fatalf("Put = %s, %d; want %s, %d", sha, n, want, len(content))
	}
	return sha
}

func readAll(t *testing.T, b evidence.Blobs, sha string) ([]byte, error) {
	t.Helper()
	rc, err := b.Open(sha)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestPutOpenLayout(t *testing.T) {
	t.Parallel()
	b, root := newBlobs(t)
	content := []byte("Mar 14 09:26:53 bastion-2 sshd[811]: Failed password for root\n")
	sha := put(t, b, content)

	path := filepath.Join(root, "sha256", sha[:2], sha[2:])
	if b.Path(sha) != path {
		t.Errorf("Path = %s, want %s", b.Path(sha), path)
	}
	for p, want := range map[string]fs.FileMode{path: 0o600, filepath.Dir(path): 0o700 | fs.ModeDir,
		filepath.Join(root, "sha256"): 0o700 | fs.ModeDir} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
	got, err := readAll(t, b, sha)
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("read back %q, %v; want %q", got, err, content)
	}
	// No temporary file is left behind.
	entries, _ := os.ReadDir(filepath.Join(root, "sha256"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".put-") {
			t.Errorf("temporary file %s left", e.Name())
		}
	}
	if _, err := b.Open(strings.Repeat("0", 64)); !errors.Is(err, evidence.ErrBlobNotFound) {
		t.Errorf("Open(unknown) = %v, want ErrBlobNotFound", err)
	}
	if _, err := b.Open("../../etc/passwd"); !errors.Is(err, evidence.ErrBlobNotFound) {
		t.Errorf("Open(path) = %v, want ErrBlobNotFound", err)
	}
}

// TestPutNeverOverwrites stores the same content twice: the first file
// (its inode) stays.
func TestPutNeverOverwrites(t *testing.T) {
	t.Parallel()
	b, _ := newBlobs(t)
	content := []byte("same bytes")
	sha := put(t, b, content)
	before, err := os.Stat(b.Path(sha))
	if err != nil {
		t.Fatal(err)
	}
	put(t, b, content)
	after, err := os.Stat(b.Path(sha))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("second Put replaced the blob file")
	}
}

func TestPutConcurrentSameContent(t *testing.T) {
	t.Parallel()
	b, root := newBlobs(t)
	content := bytes.Repeat([]byte("evidence "), 100_000)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			sha, n, err := b.Put(t.Context(), bytes.NewReader(content), 0)
			if err != nil || sha != hexSHA(content) || n != int64(len(content)) {
				t.Errorf("Put = %s, %d, %v", sha, n, err)
			}
		})
	}
	wg.Wait()
	got, err := readAll(t, b, hexSHA(content))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read back %d bytes, %v; want %d", len(got), err, len(content))
	}
	var files []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if len(files) != 1 {
		t.Errorf("files under root = %v, want one blob", files)
	}
}

func TestPutLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		size, limit int64
		ok          bool
	}{
		{10, 10, true},
		{11, 10, false},
		{0, 10, true},
		{1 << 20, 1<<20 - 1, false},
	}
	for _, tt := range tests {
		b, root := newBlobs(t)
		_, _, err := b.Put(t.Context(), bytes.NewReader(make([]byte, tt.size)), tt.limit)
		var tle *evidence.TooLargeError
		if tt.ok != (err == nil) || (!tt.ok && (!errors.As(err, &tle) || tle.Limit != tt.limit)) {
			t.Errorf("Put(%d bytes, limit %d) = %v", tt.size, tt.limit, err)
		}
		if !tt.ok {
			entries, _ := os.ReadDir(filepath.Join(root, "sha256"))
			if len(entries) != 0 {
				t.Errorf("Put over the limit left %d entries", len(entries))
			}
		}
	}
}

// TestTamper changes one byte of a blob on disk: reading it to the end
// reports the mismatch instead of io.EOF.
func TestTamper(t *testing.T) {
	t.Parallel()
	b, _ := newBlobs(t)
	content := []byte("the original log line")
	sha := put(t, b, content)
	path := b.Path(sha)
	os.Chmod(path, 0o600)
	tampered := bytes.Clone(content)
	tampered[4] ^= 0x20
	if err := os.WriteFile(path, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := readAll(t, b, sha)
	var me *evidence.MismatchError
	if !errors.As(err, &me) || me.Want != sha || me.Got != hexSHA(tampered) {
		t.Fatalf("read tampered blob: %v, want MismatchError %s → %s", err, sha, hexSHA(tampered))
	}
}

func TestMediaType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		declared string
		head     string
		want     string
	}{
		{"", "plain text", "text/plain; charset=utf-8"},
		{"application/octet-stream", "%PDF-1.7", "application/pdf"},
		{"Application/VND.tcpdump.pcap", "\xd4\xc3\xb2\xa1", "application/vnd.tcpdump.pcap"},
		{"text/csv; charset=UTF-8", "a,b", "text/csv; charset=UTF-8"},
		{"not a type", "\x00\x01", "application/octet-stream"},
	}
	for _, tt := range tests {
		if got := evidence.MediaType(tt.declared, []byte(tt.head)); got != tt.want {
			t.Errorf("MediaType(%q, %q) = %q, want %q", tt.declared, tt.head, got, tt.want)
		}
	}
}

func TestCleanFileName(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"auth.log":               "auth.log",
		"../../etc/passwd":       "passwd",
		`C:\temp\mem.dmp`:        "mem.dmp",
		"a\"b\r\nc.txt":          "abc.txt",
		"":                       "evidence",
		"..":                     "evidence",
		strings.Repeat("é", 200): strings.Repeat("é", 127),
	}
	for in, want := range tests {
		if got := evidence.CleanFileName(in); got != want {
			t.Errorf("CleanFileName(%q) = %q, want %q", in, got, want)
		}
	}
}
