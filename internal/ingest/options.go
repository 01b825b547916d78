package ingest

import (
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// DefaultMaxLineBytes is the longest line or record accepted when
// Options.MaxLineBytes is zero: 1 MiB.
const DefaultMaxLineBytes = 1 << 20

// Options tunes the readers. The zero value is ready to use.
type Options struct {
	// Mapping normalizes each event's field names and time; nil means
	// event.DefaultMapping().
	Mapping *event.Mapping
	// MaxLineBytes is the longest accepted line, or JSON record spread over
	// several lines, in bytes without the line ending; a longer one is a
	// LineError and reading goes on after it. Zero means DefaultMaxLineBytes.
	MaxLineBytes int
	// Year is the year of the first RFC 3164 timestamp of a stream, which has
	// none; zero infers it from Now (see the package documentation).
	Year int
	// Now is the clock used to infer RFC 3164 years; nil means time.Now.
	Now func() time.Time

	// maxZipBytes caps a zip archive that must be read into memory (one
	// inside a gzip stream or another archive); zero means
	// defaultMaxZipBytes. Tests lower it.
	maxZipBytes int64
}

// defaultMaxZipBytes is the largest zip archive read into memory: 256 MiB.
const defaultMaxZipBytes = 256 << 20

func (o Options) withDefaults() Options {
	if o.Mapping == nil {
		o.Mapping = event.DefaultMapping()
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.maxZipBytes <= 0 {
		o.maxZipBytes = defaultMaxZipBytes
	}
	return o
}

// LineError is a record that could not be parsed: it names the file (empty
// for a request body), the 1-based line where the record starts and the
// reason. Readers report it and go on.
type LineError struct {
	// File is the input's name as given, or "archive.zip!member".
	File string
	// Line is the 1-based line where the bad record starts.
	Line int
	// Reason says what is wrong, e.g. "line exceeds 1048576 bytes".
	Reason string
	// TooLong is set when the line or record exceeds Options.MaxLineBytes;
	// Record then tells a multi-line record (an array element, a
	// pretty-printed object) from a single line.
	TooLong, Record bool
}

// Error renders the error as "file:line: reason", or "line N: reason" when
// File is empty.
func (e *LineError) Error() string {
	if e.File == "" {
		return "line " + strconv.Itoa(e.Line) + ": " + e.Reason
	}
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Reason
}
