package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// HashSize is the size of a Hash: a SHA-256.
const HashSize = sha256.Size

// Hash is the SHA-256 of an entry's encoding. It encodes to JSON and prints
// as lowercase hex.
type Hash [HashSize]byte

// String returns h in lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes h as lowercase hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes h from hex.
func (h *Hash) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != HashSize {
		return fmt.Errorf("audit hash: %d hex digits, want %d", len(b), 2*HashSize)
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// HashFromBytes converts a stored hash; it fails unless b has HashSize bytes.
func HashFromBytes(b []byte) (Hash, error) {
	var h Hash
	if len(b) != HashSize {
		return h, fmt.Errorf("audit hash of %d bytes, want %d", len(b), HashSize)
	}
	copy(h[:], b)
	return h, nil
}

// Entry is one record of the audit trail. Seq, PrevHash and Hash are set by
// Seal when the store appends the entry; the other fields by the caller.
type Entry struct {
	// Seq numbers the entries of the chain from 1, without gaps.
	Seq int64 `json:"seq"`
	// Time is when the change happened, in UTC, kept to the microsecond.
	Time time.Time `json:"time"`
	// Actor is who made the change: "token:<name>", "user:<name>" or
	// "system".
	Actor string `json:"actor"`
	// Action is what happened.
	Action Action `json:"action"`
	// ObjectType and ObjectID name the object changed ("incident", "42").
	ObjectType string `json:"object_type"`
	ObjectID   string `json:"object_id"`
	// Tenant is the tenant the object belongs to; empty means provider-wide.
	Tenant string `json:"tenant"`
	// Details is a JSON object with what changed. It is hashed byte for
	// byte as stored: Log.Record makes it canonical (compact, keys sorted)
	// before the store keeps it.
	Details json.RawMessage `json:"details"`
	// PrevHash is the Hash of the entry before; zero for the first entry.
	PrevHash Hash `json:"prev_hash"`
	// Hash is ComputeHash of this entry.
	Hash Hash `json:"hash"`
}

// Code returns the code of the entry's action ("" when unknown).
func (e Entry) Code() Code { return e.Action.Code() }

// Head is the end of a chain: the seq and hash of its last entry. The zero
// Head is the head of an empty chain.
type Head struct {
	Seq  int64 `json:"seq"`
	Hash Hash  `json:"hash"`
}

// encodingTag starts the hashed encoding; a new encoding gets a new tag.
const encodingTag = "vigil-audit-v1"

// ComputeHash returns the SHA-256 of e's canonical encoding, version 1, which
// covers every field except Hash (docs/audit.md):
//
//	"vigil-audit-v1"
//	seq             int64, 8 bytes big-endian
//	time            int64 Unix microseconds (UTC), 8 bytes big-endian
//	actor, action, object_type, object_id, tenant, details
//	                each as uint32 big-endian byte length, then the bytes
//	prev_hash       32 bytes
//
// Times are truncated to the microsecond, so that a nanosecond the store
// drops does not change the hash.
func ComputeHash(e Entry) Hash {
	var b bytes.Buffer
	b.WriteString(encodingTag)
	b.Write(binary.BigEndian.AppendUint64(nil, uint64(e.Seq)))
	b.Write(binary.BigEndian.AppendUint64(nil, uint64(e.Time.UnixMicro())))
	for _, s := range []string{e.Actor, string(e.Action), e.ObjectType, e.ObjectID, e.Tenant,
		string(e.Details)} {
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(s))))
		b.WriteString(s)
	}
	b.Write(e.PrevHash[:])
	return sha256.Sum256(b.Bytes())
}

// Seal makes e the entry after head: it sets Seq, PrevHash and Hash, and
// truncates Time to the microsecond in UTC. A store calls it inside the
// transaction that reads head and stores e and the new head, so that two
// appends never share a Seq. It fails for an entry that Check refuses.
func Seal(e *Entry, head Head) error {
	if err := e.Check(); err != nil {
		return err
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	e.Seq = head.Seq + 1
	e.PrevHash = head.Hash
	e.Hash = ComputeHash(*e)
	return nil
}

// Check reports what makes e unfit to append: a zero time, an empty actor,
// an unknown action, an empty object type, or details that are not a JSON
// object.
func (e Entry) Check() error {
	switch {
	case e.Time.IsZero():
		return errors.New("audit entry: zero time")
	case e.Actor == "":
		return errors.New("audit entry: empty actor")
	case !e.Action.Known():
		return fmt.Errorf("audit entry: unknown action %q", e.Action)
	case e.ObjectType == "":
		return fmt.Errorf("audit entry %s: empty object type", e.Action)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(e.Details, &obj); err != nil || obj == nil {
		return fmt.Errorf("audit entry %s: details are not a JSON object", e.Action)
	}
	return nil
}

// CanonicalDetails returns v, a JSON object or a value that marshals to
// one, in the form that is stored and hashed: compact, object keys sorted at
// every level, numbers as written. Nil gives "{}".
func CanonicalDetails(v any) (json.RawMessage, error) {
	if v == nil {
		return json.RawMessage("{}"), nil
	}
	raw, ok := v.(json.RawMessage)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("audit details: %w", err)
		}
		raw = b
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil || obj == nil {
		return nil, errors.New("audit details: not a JSON object")
	}
	// Marshalling a map sorts its keys; json.Number keeps numbers as
	// written.
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("audit details: %w", err)
	}
	return b, nil
}
