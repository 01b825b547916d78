package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
)

// Evidence is the metadata record of one piece of evidence attached to an
// incident. Records are never changed once stored. The same content
// attached twice (to two incidents, say) is two records sharing one SHA256
// and one blob.
type Evidence struct {
	// ID is assigned by the store.
	ID int64 `json:"id"`
	// IncidentID is the incident the evidence belongs to.
	IncidentID int64 `json:"incident_id"`
	// SHA256 names the content (lowercase hex); Size is its length in bytes.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// MediaType is the content's type (see MediaType).
	MediaType string `json:"media_type"`
	// FileName is the name the file was given, without any folder.
	FileName string `json:"file_name"`
	// Description says what the evidence is.
	Description string `json:"description"`
	// AcquiredBy is the actor who acquired it ("token:<name>", "user:<name>").
	AcquiredBy string `json:"acquired_by"`
	// AcquiredAt is when it was acquired, in UTC, to the microsecond.
	AcquiredAt time.Time `json:"acquired_at"`
	// AcquiredFrom is the host or source it came from, as declared by the
	// uploader, or "vigil:events" for stored events.
	AcquiredFrom string `json:"acquired_from"`
	// CustodyCount is how many custody entries the record has (read only).
	CustodyCount int64 `json:"custody_count"`
}

// Action is what a custody entry records.
type Action string

// The custody actions.
const (
	// Acquired: the evidence was taken in (upload or attachment); always
	// the first entry.
	Acquired Action = "acquired"
	// Accessed: the content was read (downloaded).
	Accessed Action = "accessed"
	// Exported: a copy left Vigil.
	Exported Action = "exported"
	// Transferred: custody passed to another person or organization.
	Transferred Action = "transferred"
	// Verified: the content was re-hashed against its SHA-256.
	Verified Action = "verified"
)

// Valid reports whether a is one of the custody actions.
func (a Action) Valid() bool {
	switch a {
	case Acquired, Accessed, Exported, Transferred, Verified:
		return true
	}
	return false
}

// Custody is one entry of a chain of custody. Entries are only appended;
// none is ever changed or removed.
type Custody struct {
	// ID is assigned by the store and grows with each entry.
	ID int64 `json:"id"`
	// EvidenceID is the evidence the entry is about.
	EvidenceID int64 `json:"evidence_id"`
	// Action is what happened.
	Action Action `json:"action"`
	// By is who did it (an audit actor); At is when, in UTC, to the
	// microsecond.
	By string    `json:"by"`
	At time.Time `json:"at"`
	// Reason is why. Required for every action but acquired.
	Reason string `json:"reason"`
	// Details is a JSON object with what else is known (the recipient of a
	// transfer, the result of a verification); "{}" when nothing.
	Details json.RawMessage `json:"details"`
}

// Limits of the text fields, in bytes.
const (
	MaxFileName    = 255
	MaxDescription = 4096
	MaxSource      = 1024
	MaxReason      = 4096
	MaxDetails     = 16 << 10
)

// ErrInvalid is wrapped by the errors of Check: the caller gave a record or
// entry that cannot be stored.
var ErrInvalid = errors.New("invalid evidence")

// Check reports what makes e unstorable.
func (e *Evidence) Check() error {
	switch {
	case e.IncidentID <= 0:
		return fmt.Errorf("%w: no incident", ErrInvalid)
	case !ValidSHA256(e.SHA256):
		return fmt.Errorf("%w: sha256 %q is not lowercase hex SHA-256", ErrInvalid, e.SHA256)
	case e.Size < 0:
		return fmt.Errorf("%w: negative size", ErrInvalid)
	case e.MediaType == "":
		return fmt.Errorf("%w: empty media type", ErrInvalid)
	case e.FileName == "" || len(e.FileName) > MaxFileName:
		return fmt.Errorf("%w: file name of %d bytes, want 1 to %d", ErrInvalid,
			len(e.FileName), MaxFileName)
	case len(e.Description) > MaxDescription:
		return fmt.Errorf("%w: description over %d bytes", ErrInvalid, MaxDescription)
	case len(e.AcquiredFrom) > MaxSource:
		return fmt.Errorf("%w: source over %d bytes", ErrInvalid, MaxSource)
	case e.AcquiredBy == "":
		return fmt.Errorf("%w: no acquirer", ErrInvalid)
	}
	return nil
}

// Check reports what makes c unstorable. An empty Details is allowed (the
// stores keep "{}").
func (c *Custody) Check() error {
	switch {
	case !c.Action.Valid():
		return fmt.Errorf("%w: custody action %q", ErrInvalid, c.Action)
	case c.By == "":
		return fmt.Errorf("%w: custody entry without actor", ErrInvalid)
	case c.Action != Acquired && strings.TrimSpace(c.Reason) == "":
		return fmt.Errorf("%w: custody %s needs a reason", ErrInvalid, c.Action)
	case len(c.Reason) > MaxReason:
		return fmt.Errorf("%w: reason over %d bytes", ErrInvalid, MaxReason)
	case len(c.Details) > MaxDetails:
		return fmt.Errorf("%w: details over %d bytes", ErrInvalid, MaxDetails)
	case len(c.Details) > 0 && !isObject(c.Details):
		return fmt.Errorf("%w: details are not a JSON object", ErrInvalid)
	}
	return nil
}

// isObject reports whether b is one JSON object.
func isObject(b json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && m != nil
}

// MediaType chooses the media type to record: the declared one when it
// parses and says more than application/octet-stream, else the type that
// http.DetectContentType sniffs from head (the first 512 bytes). The
// result is normalized (lowercase, parameters kept).
func MediaType(declared string, head []byte) string {
	if mt, params, err := mime.ParseMediaType(declared); err == nil &&
		mt != "application/octet-stream" && strings.Contains(mt, "/") {
		if s := mime.FormatMediaType(mt, params); s != "" {
			return s
		}
	}
	return http.DetectContentType(head)
}

// CleanFileName returns name without folders, control characters or
// quotes, so that it is safe in a Content-Disposition header; "evidence"
// when nothing is left.
func CleanFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > MaxFileName {
		// Cut whole runes.
		name = strings.ToValidUTF8(name[:MaxFileName], "")
	}
	if name == "" || name == "." || name == ".." {
		return "evidence"
	}
	return name
}
