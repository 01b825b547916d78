package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// ReadFile reads the events of one file, whatever its format (see the
// package documentation), calling fn for each event in order and onErr (when
// not nil) for each bad record. Source.File is path as given.
//
// It returns the first error fn returns, unchanged, ctx.Err() when ctx is
// done, or an error when the file cannot be opened or read (an I/O error, a
// corrupt archive); bad records are not errors.
func ReadFile(ctx context.Context, path string, opts Options,
	fn func(*event.Event) error, onErr func(*LineError)) error {
	f, err := os.Open(path)
	if err != nil {
		return &readError{path, unwrapPath(err)}
	}
	defer f.Close()
	return Read(ctx, f, path, opts, fn, onErr)
}

// logExts are the file name extensions read inside folders, besides names
// without an extension and rotated logs ("auth.log.1").
var logExts = map[string]bool{
	".json": true, ".ndjson": true, ".jsonl": true, ".log": true, ".txt": true,
	".gz": true, ".zip": true, ".raw": true,
}

// ReadPaths reads files and folders in the order given. Folders are walked
// recursively in lexical order; in them, hidden files and folders (name
// starting with ".") are skipped, and only files whose extension is .json,
// .ndjson, .jsonl, .log, .txt, .raw, .gz, .zip, all digits (rotated logs),
// or that have none, are read, so that a folder's rules, notes and tables
// (.yml, .md, .tsv, .csv, ...) are not taken for logs. A path named
// explicitly is always read.
//
// An input that cannot be read does not stop the others: ReadPaths goes on
// and returns all such errors joined. An error from fn, or ctx being done,
// stops it at once and is returned.
func ReadPaths(ctx context.Context, paths []string, opts Options,
	fn func(*event.Event) error, onErr func(*LineError)) error {
	var unreadable []error
	for _, p := range paths {
		if err := readPath(ctx, p, opts, fn, onErr, &unreadable); err != nil {
			return err
		}
	}
	return errors.Join(unreadable...)
}

// readPath reads a file or folder. It adds the errors of inputs that cannot
// be read to unreadable and returns only those that stop everything.
func readPath(ctx context.Context, root string, opts Options,
	fn func(*event.Event) error, onErr func(*LineError), unreadable *[]error) error {
	read := func(path string) error {
		err := ReadFile(ctx, path, opts, fn, onErr)
		if re := (*readError)(nil); errors.As(err, &re) {
			*unreadable = append(*unreadable, err)
			return nil
		}
		return err
	}
	info, err := os.Stat(root)
	if err != nil {
		*unreadable = append(*unreadable, &readError{root, unwrapPath(err)})
		return nil
	}
	if !info.IsDir() {
		return read(root)
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			*unreadable = append(*unreadable, &readError{path, unwrapPath(err)})
			return nil
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() || !isLogName(d.Name()) {
			return nil
		}
		return read(path)
	})
}

// unwrapPath drops the *fs.PathError around err, whose path readError
// already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func isLogName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	if ext == "" || logExts[ext] {
		return true
	}
	return strings.Trim(ext[1:], "0123456789") == ""
}

// Read reads the events of one stream, sniffing its format from its content;
// name is used for Source.File and in errors. See ReadFile for fn, onErr and
// the errors returned. A zip archive is read from r directly when r is an
// *os.File, and is otherwise first read into memory.
func Read(ctx context.Context, r io.Reader, name string, opts Options,
	fn func(*event.Event) error, onErr func(*LineError)) error {
	rd := newReader(ctx, opts, fn, onErr)
	return rd.stream(r, name, 0)
}

// readError is an input that cannot be read; it wraps the cause.
type readError struct {
	name string
	err  error
}

func (e *readError) Error() string { return "read " + e.name + ": " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// maxNesting bounds archives within archives.
const maxNesting = 8

// reader holds the state of one Read call.
type reader struct {
	ctx   context.Context
	opts  Options
	fn    func(*event.Event) error
	onErr func(*LineError)
	count int
}

func newReader(ctx context.Context, opts Options, fn func(*event.Event) error,
	onErr func(*LineError)) *reader {
	return &reader{ctx: ctx, opts: opts.withDefaults(), fn: fn, onErr: onErr}
}

// emit maps and delivers one event.
func (rd *reader) emit(file string, line int, fields map[string]any, t time.Time) error {
	rd.count++
	if rd.count%256 == 0 {
		if err := rd.ctx.Err(); err != nil {
			return err
		}
	}
	e := &event.Event{Time: t, Fields: fields, Source: event.Source{File: file, Line: line}}
	rd.opts.Mapping.Apply(e)
	return rd.fn(e)
}

func (rd *reader) reject(file string, line int, reason string) {
	if rd.onErr != nil {
		rd.onErr(&LineError{File: file, Line: line, Reason: reason})
	}
}

// rejectLong reports a line (or, with record, a multi-line record) over
// Options.MaxLineBytes.
func (rd *reader) rejectLong(file string, line int, record bool) {
	if rd.onErr == nil {
		return
	}
	what := "line"
	if record {
		what = "record"
	}
	rd.onErr(&LineError{File: file, Line: line, TooLong: true, Record: record,
		Reason: what + " exceeds " + strconv.Itoa(rd.opts.MaxLineBytes) + " bytes"})
}

// Magic numbers of the archive formats.
var (
	gzipMagic = []byte{0x1f, 0x8b}
	zipMagic  = []byte("PK\x03\x04")
	zipEmpty  = []byte("PK\x05\x06")
	utf8BOM   = []byte("\xef\xbb\xbf")
)

// stream sniffs r and reads it with the matching reader.
func (rd *reader) stream(r io.Reader, name string, depth int) error {
	if err := rd.ctx.Err(); err != nil {
		return err
	}
	if depth > maxNesting {
		return &readError{name, fmt.Errorf("archives nested more than %d deep", maxNesting)}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return &readError{name, err}
	}
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return rd.gzip(br, name, depth)
	case bytes.HasPrefix(head, zipMagic), bytes.HasPrefix(head, zipEmpty):
		return rd.zip(r, br, name, depth)
	case bytes.HasPrefix(head, utf8BOM):
		_, _ = br.Discard(len(utf8BOM))
	}

	switch sniff(br) {
	case kindArray:
		return rd.jsonArray(br, name)
	case kindObjects:
		return rd.jsonObjects(br, name)
	}
	return rd.text(br, name)
}

type kind int

const (
	kindText kind = iota
	kindObjects
	kindArray
)

// sniff looks at the first non-blank bytes within the reader's buffer.
func sniff(br *bufio.Reader) kind {
	buf, _ := br.Peek(br.Size())
	i := skipSpace(buf, 0)
	if i == len(buf) {
		return kindText
	}
	switch buf[i] {
	case '{':
		return kindObjects
	case '[':
		j := skipSpace(buf, i+1)
		if j == len(buf) || buf[j] == '{' || buf[j] == ']' {
			return kindArray
		}
	}
	return kindText
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}
