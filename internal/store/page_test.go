package store

import (
	"errors"
	"testing"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, id := range []int64{1, 42, 1 << 40, 1<<63 - 1} {
		got, err := DecodeCursor(EncodeCursor(id))
		if err != nil || got != id {
			t.Errorf("DecodeCursor(EncodeCursor(%d)) = %d, %v", id, got, err)
		}
	}
	if id, err := DecodeCursor(""); id != 0 || err != nil {
		t.Errorf(`DecodeCursor("") = %d, %v; want 0, nil`, id, err)
	}
}

func TestDecodeCursorRejects(t *testing.T) {
	bad := []string{"!", "NQ==", "N0", "MA", "LTE", "KzU", "MDU", "eA",
		"OTIyMzM3MjAzNjg1NDc3NTgwOA", // 9223372036854775808 overflows
		"\nNA", "N\r\nA",             // line breaks, which base64 decoding skips
	}
	for _, c := range bad {
		if _, err := DecodeCursor(c); !errors.Is(err, ErrBadCursor) {
			t.Errorf("DecodeCursor(%q) = %v, want ErrBadCursor", c, err)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(EncodeCursor(7))
	f.Add("!")
	f.Fuzz(func(t *testing.T, c string) {
		id, err := DecodeCursor(c)
		if err != nil {
			if !errors.Is(err, ErrBadCursor) {
				t.Fatalf("DecodeCursor(%q) = %v, want ErrBadCursor", c, err)
			}
			return
		}
		if c != "" && (id <= 0 || EncodeCursor(id) != c) {
			t.Fatalf("DecodeCursor(%q) = %d, which encodes as %q", c, id, EncodeCursor(id))
		}
	})
}

func TestPageLimit(t *testing.T) {
	tests := []struct{ in, want int }{
		{-5, DefaultLimit}, {0, DefaultLimit}, {1, 1},
		{MaxLimit, MaxLimit}, {MaxLimit + 1, MaxLimit},
	}
	for _, tt := range tests {
		if got := PageLimit(tt.in); got != tt.want {
			t.Errorf("PageLimit(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestIncidentNumber(t *testing.T) {
	tests := []struct {
		year int
		n    int64
		want string
	}{
		{2026, 1, "INC-2026-0001"},
		{2026, 42, "INC-2026-0042"},
		{2026, 9999, "INC-2026-9999"},
		{2026, 10000, "INC-2026-10000"},
	}
	for _, tt := range tests {
		if got := IncidentNumber(tt.year, tt.n); got != tt.want {
			t.Errorf("IncidentNumber(%d, %d) = %q, want %q", tt.year, tt.n, got, tt.want)
		}
	}
}
