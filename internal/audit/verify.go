package audit

import (
	"fmt"
	"iter"
	"time"
)

// Reason says why Verify found an entry broken.
type Reason string

// The reasons of a ChainError.
const (
	// ReasonHash: the entry's stored hash is not the hash of its fields
	// (the entry was edited, or moved to another seq).
	ReasonHash Reason = "hash mismatch"
	// ReasonPrevHash: the entry does not point at the hash of the entry
	// before it (an entry before was replaced).
	ReasonPrevHash Reason = "prev_hash mismatch"
	// ReasonSeqGap: the entry's seq does not follow the one before (an
	// entry was deleted or moved).
	ReasonSeqGap Reason = "seq gap"
	// ReasonTruncated: the chain ends before the recorded head (entries
	// were deleted from the end).
	ReasonTruncated Reason = "chain ends before the recorded head"
	// ReasonHead: the chain goes past the recorded head, or its last entry
	// is not the recorded head.
	ReasonHead Reason = "chain does not end at the recorded head"
)

// ChainError names the first broken entry of a chain. Time and Action are
// those of the entry as stored; both are zero when the entry is missing
// (a truncated chain).
type ChainError struct {
	Seq    int64
	Time   time.Time
	Action Action
	Reason Reason
	// Detail adds what was expected, for people.
	Detail string
}

func (e *ChainError) Error() string {
	msg := fmt.Sprintf("audit chain broken at seq %d: %s", e.Seq, e.Reason)
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Note is something odd about an intact chain that a person may want to
// look at, such as an entry older than the one before (clocks of several
// nodes disagree).
type Note struct {
	Seq  int64
	Text string
}

// Report is what Verify found in an intact chain.
type Report struct {
	// Entries counts the entries checked.
	Entries int64
	// Head is the last entry's seq and hash.
	Head Head
	// Notes lists oddities that do not break the chain.
	Notes []Note
}

// Verify checks a chain read in seq order against its recorded head: each
// entry's hash, its link to the entry before, gapless seqs from 1, and that
// the chain ends exactly at head. It returns a *ChainError for the first
// broken entry, or the error of entries itself. A time going backwards is
// a Note, not an error.
func Verify(entries iter.Seq2[Entry, error], head Head) (Report, error) {
	var (
		rep  Report
		prev Entry // the zero Entry stands before the first
	)
	for e, err := range entries {
		if err != nil {
			return rep, fmt.Errorf("read audit entries: %w", err)
		}
		if err := checkLink(prev, e); err != nil {
			return rep, err
		}
		if rep.Entries > 0 && e.Time.Before(prev.Time) {
			rep.Notes = append(rep.Notes, Note{Seq: e.Seq,
				Text: fmt.Sprintf("time %s is before the previous entry's %s",
					e.Time.Format(time.RFC3339Nano), prev.Time.Format(time.RFC3339Nano))})
		}
		rep.Entries++
		rep.Head = Head{Seq: e.Seq, Hash: e.Hash}
		prev = e
	}
	switch {
	case rep.Head.Seq < head.Seq:
		return rep, &ChainError{Seq: rep.Head.Seq + 1, Reason: ReasonTruncated,
			Detail: fmt.Sprintf("head is seq %d", head.Seq)}
	case rep.Head != head:
		return rep, &ChainError{Seq: prev.Seq, Time: prev.Time, Action: prev.Action,
			Reason: ReasonHead, Detail: fmt.Sprintf("head is seq %d hash %s", head.Seq, head.Hash)}
	}
	return rep, nil
}

// checkLink checks e, the entry after prev.
func checkLink(prev, e Entry) *ChainError {
	broken := func(r Reason, detail string) *ChainError {
		return &ChainError{Seq: e.Seq, Time: e.Time, Action: e.Action, Reason: r, Detail: detail}
	}
	if e.Seq != prev.Seq+1 {
		return broken(ReasonSeqGap, fmt.Sprintf("want seq %d", prev.Seq+1))
	}
	if ComputeHash(e) != e.Hash {
		return broken(ReasonHash, "")
	}
	if e.PrevHash != prev.Hash {
		return broken(ReasonPrevHash, "")
	}
	return nil
}
