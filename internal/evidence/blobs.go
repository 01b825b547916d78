package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultMaxSize is the size limit of one blob when the caller gives none:
// 1 GiB.
const DefaultMaxSize int64 = 1 << 30

// ErrBlobNotFound is returned by Open for a hash that has no blob.
var ErrBlobNotFound = errors.New("evidence blob not found")

// TooLargeError is returned by Put when the content exceeds the limit;
// nothing of it is kept.
type TooLargeError struct {
	// Limit is the limit in bytes that was exceeded.
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("evidence larger than the limit of %d bytes", e.Limit)
}

// MismatchError is returned at the end of reading a blob whose content does
// not hash to its name: it was changed on disk.
type MismatchError struct {
	// Want is the SHA-256 the blob is stored under; Got is the hash of the
	// bytes read (both lowercase hex).
	Want, Got string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("evidence blob %s: content hashes to %s (tampered or corrupt)",
		e.Want, e.Got)
}

// Blobs keeps content by its SHA-256. Implementations are safe for
// concurrent use. They never overwrite a blob: a Put of content that is
// stored already reuses it.
//
// TODO: an object-store implementation (S3 with object lock), so that
// scale-out nodes share blobs instead of each keeping its --data folder.
type Blobs interface {
	// Put stores what r yields, up to limit bytes (DefaultMaxSize when
	// limit <= 0), and returns its SHA-256 in lowercase hex and its size.
	// Content over the limit gives a *TooLargeError and keeps nothing.
	Put(ctx context.Context, r io.Reader, limit int64) (sha string, size int64, err error)
	// Open returns a reader of the blob: it re-hashes while reading and at
	// the end returns a *MismatchError instead of io.EOF when the content
	// does not match sha. An unknown sha gives ErrBlobNotFound.
	Open(sha string) (io.ReadCloser, error)
}

// ValidSHA256 reports whether s is a SHA-256 in lowercase hex.
func ValidSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// FileBlobs is Blobs on a local file system, under a root folder. It is
// safe for concurrent use, from several processes too.
type FileBlobs struct {
	root string
}

var _ Blobs = (*FileBlobs)(nil)

// NewFileBlobs returns the blob store under root (for vigil serve,
// <data>/evidence), creating root/sha256 with mode 0700 when missing.
func NewFileBlobs(root string) (*FileBlobs, error) {
	if root == "" {
		return nil, errors.New("evidence blobs: empty root folder")
	}
	if err := os.MkdirAll(filepath.Join(root, "sha256"), 0o700); err != nil {
		return nil, fmt.Errorf("evidence blobs: %w", err)
	}
	return &FileBlobs{root: root}, nil
}

// Path returns where the blob of sha is (or would be) kept.
func (b *FileBlobs) Path(sha string) string {
	return filepath.Join(b.root, "sha256", sha[:2], sha[2:])
}

// Put stores r's content by its SHA-256 (see Blobs). The temporary file is
// written in the blob's own folder area, synced, then hard-linked into
// place, which fails instead of replacing a blob that another Put stored
// first; the folder is synced after the link.
func (b *FileBlobs) Put(ctx context.Context, r io.Reader, limit int64) (string, int64, error) {
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	// The final folder depends on the hash, unknown until the end: write in
	// the sha256 folder, on the same file system, and link from there.
	tmp, err := os.CreateTemp(filepath.Join(b.root, "sha256"), ".put-*")
	if err != nil {
		return "", 0, fmt.Errorf("put evidence blob: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), &ctxReader{ctx: ctx, r: io.LimitReader(r, limit+1)})
	if err != nil {
		return "", 0, fmt.Errorf("put evidence blob: %w", err)
	}
	if n > limit {
		return "", 0, &TooLargeError{Limit: limit}
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("put evidence blob: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("put evidence blob: %w", err)
	}
	sha := hex.EncodeToString(h.Sum(nil))
	if err := b.place(tmp.Name(), sha); err != nil {
		return "", 0, fmt.Errorf("put evidence blob %s: %w", sha, err)
	}
	return sha, n, nil
}

// place links the finished temporary file to the blob's path unless a blob
// is there already, and syncs the folder.
func (b *FileBlobs) place(tmp, sha string) error {
	dst := b.Path(sha)
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	err := os.Link(tmp, dst)
	if errors.Is(err, fs.ErrExist) {
		// Same hash, same content: the blob stored first stays.
		return nil
	}
	if err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a new folder entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Open returns a verifying reader of the blob of sha (see Blobs).
func (b *FileBlobs) Open(sha string) (io.ReadCloser, error) {
	if !ValidSHA256(sha) {
		return nil, fmt.Errorf("open evidence blob %q: not a SHA-256: %w", sha, ErrBlobNotFound)
	}
	f, err := os.Open(b.Path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open evidence blob %s: %w", sha, ErrBlobNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open evidence blob %s: %w", sha, err)
	}
	return NewVerifier(f, sha), nil
}

// NewVerifier returns a reader of rc that hashes what it reads and, at the
// end, returns io.EOF only when the SHA-256 of everything read equals sha;
// otherwise a *MismatchError. Closing it closes rc.
func NewVerifier(rc io.ReadCloser, sha string) io.ReadCloser {
	return &verifier{rc: rc, want: sha, h: sha256.New()}
}

type verifier struct {
	rc   io.ReadCloser
	want string
	h    hash.Hash
	err  error // sticky end result
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want {
			err = &MismatchError{Want: v.want, Got: got}
		}
	}
	if err != nil {
		v.err = err
	}
	return n, err
}

func (v *verifier) Close() error { return v.rc.Close() }

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
