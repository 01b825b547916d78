// Package evidence owns the evidence of incidents: files kept by their
// SHA-256 in a content-addressed blob store that never overwrites, the
// metadata record of each piece (who acquired it, when, from where), and its
// chain of custody, an append-only log of every acquisition, access,
// transfer, export and verification with who, when and why.
//
// A Service ties the three together and records each step in the audit
// trail as well. The package knows neither HTTP nor SQL: the metadata and
// custody log are kept by a Store (internal/store implements it), and the
// bytes by Blobs (FileBlobs on a local file system).
//
// # Layout of FileBlobs
//
// A blob with SHA-256 abcdef… lives at <root>/sha256/ab/cdef…, mode 0600,
// in folders of mode 0700. Put writes to a temporary file in the target
// folder while hashing, syncs it, and links it into place only when no blob
// of that hash exists: an existing blob is reused, never replaced.
//
// # What is verified when
//
// Put computes the hash from the bytes it writes. Every Open re-hashes what
// it reads and, instead of io.EOF, returns a *MismatchError when the content
// no longer matches its name, so a tampered blob is never read as good to
// the end. See docs/evidence.md for how the API serves large files.
package evidence
