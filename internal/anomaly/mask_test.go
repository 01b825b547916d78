package anomaly

import (
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		msg, want string
	}{
		{"PacketResponder 1 for block blk_-6952295868487656571 terminating",
			"PacketResponder <*> for block <*> terminating"},
		{"Received connection request /10.10.34.11:45307", "Received connection request <*>"},
		{"authentication failure; uid=0 euid=0 tty=NODEVssh rhost=218.188.2.4",
			"authentication failure; uid=<*> euid=<*> tty=NODEVssh rhost=<*>"},
		{"generating core.2275", "generating <*>"},
		{"store operation..........1", "store operation..........<*>"},
		{"setSystemUiVisibility vis=0 mask=ffffffff", "setSystemUiVisibility vis=<*> mask=<*>"},
		{"isBluetoothA2dpOn()", "isBluetoothA2dpOn()"},
		{"RSA SHA256:Qm9ndXNrZXlmb3JzYW1wbGVsb2dzb25seQ", "RSA <*>"},
		{"connection from 1.2.3.4 () at Fri Jul  1 07:57:30 2005",
			"connection from <*> () at <*> <*> <*> <*> <*>"},
		{"Block broadcast_0 stored (estimated size 384.0 B, free 317.5 KB)",
			"Block <*> stored (estimated size <*> <*>, free <*> <*>)"},
		{"Deleting block blk_1 file /mnt/hadoop/dfs/data/current/subdir5/blk_1",
			"Deleting block <*> file <*>"},
		{"removing device node '/udev/vcsa2',", "removing device node '<*>',"},
		{"a/b and / stay", "a/b and / stay"},
		{"onExtend:1514038530000 14 0 4", "onExtend:<*> <*> <*> <*>"},
		{"0x1f state=ok", "<*> state=ok"},
		{"", ""},
	}
	for _, tt := range tests {
		raw, masked := tokenize(tt.msg)
		if got := strings.Join(masked, " "); got != tt.want {
			t.Errorf("tokenize(%q)\n got %q\nwant %q", tt.msg, got, tt.want)
		}
		if len(raw) != len(masked) {
			t.Errorf("tokenize(%q): %d raw tokens, %d masked", tt.msg, len(raw), len(masked))
		}
	}
}

func TestParam(t *testing.T) {
	tests := []struct{ tmpl, raw, want string }{
		{"rhost=<*>", "rhost=10.0.0.1", "10.0.0.1"},
		{"<*>", "webmaster", "webmaster"},
		{"'<*>',", "'/etc/passwd',", "/etc/passwd"},
		{"(<*>:<*>)", "(a:b)", "a:b"},
		{"x=<*>", "y", "y"}, // not aligned: the whole token
	}
	for _, tt := range tests {
		if got := param(tt.tmpl, tt.raw); got != tt.want {
			t.Errorf("param(%q, %q) = %q, want %q", tt.tmpl, tt.raw, got, tt.want)
		}
	}
}

// FuzzTokenize checks that masking keeps one token per white-space field,
// never yields an empty token or white space, and that every template token
// with a wildcard gives back a parameter that is part of the raw token.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"PacketResponder 1 for block blk_-6952295868487656571 terminating",
		"uid=0 euid=0 rhost=218.188.2.4 user=root", "....1 ..", "<*> <*><*>", "/a/b\\c\\d 'x'",
		"0xdeadbeef ffffffffff 12:30:00 Jan", "\xff\xfe=1", "a=-1 b=+2 c=-x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		raw, masked := tokenize(msg)
		if len(raw) != len(strings.Fields(msg)) || len(masked) != len(raw) {
			t.Fatalf("%d raw, %d masked tokens for %d fields", len(raw), len(masked),
				len(strings.Fields(msg)))
		}
		for i, m := range masked {
			if m == "" || strings.ContainsAny(m, " \t\n\r") {
				t.Fatalf("masked token %d of %q is %q", i, msg, m)
			}
			if strings.Contains(m, Wildcard) && !strings.Contains(raw[i], param(m, raw[i])) {
				t.Fatalf("param %q not in raw token %q", param(m, raw[i]), raw[i])
			}
		}
	})
}
