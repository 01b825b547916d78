package ingest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fixedNow is the clock of the text tests: mid-2025.
func fixedNow() time.Time { return time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC) }

func parseLine(line string) (map[string]any, time.Time) {
	return newTextParser(Options{Now: fixedNow}).parse(line)
}

type num = json.Number

func TestParseSyslog3164(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		line string
		want map[string]any
	}{
		{
			name: "auth.log sshd",
			line: "Mar 30 16:01:36 ip-10-77-20-248 sshd[5297]: Accepted password for elastic_user_0 " +
				"from 24.151.103.17 port 57668 ssh2",
			want: map[string]any{
				"timestamp": "2025-03-30T16:01:36Z", "host": "ip-10-77-20-248", "program": "sshd",
				"pid":     "5297",
				"message": "Accepted password for elastic_user_0 from 24.151.103.17 port 57668 ssh2",
			},
		},
		{
			name: "with PRI and padded day",
			line: "<34>Oct  1 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
			want: map[string]any{
				"timestamp": "2024-10-01T22:14:15Z", "host": "mymachine", "program": "su",
				"message":  "'su root' failed for lonvick on /dev/pts/8",
				"facility": num("4"), "severity": num("2"),
			},
		},
		{
			name: "program with parentheses",
			line: "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0",
			want: map[string]any{
				"timestamp": "2025-06-14T15:16:01Z", "host": "combo", "program": "sshd(pam_unix)",
				"pid": "19939", "message": "authentication failure; logname= uid=0",
			},
		},
		{
			name: "tag with a colon in parentheses",
			line: "Apr  2 09:00:01 web pam_unix(cron:session): session opened for user root",
			want: map[string]any{
				"timestamp": "2025-04-02T09:00:01Z", "host": "web",
				"program": "pam_unix(cron:session)",
				"message": "session opened for user root",
			},
		},
		{
			name: "no tag",
			line: "Jun 19 04:09:11 combo syslogd 1.4.1: restart.",
			want: map[string]any{
				"timestamp": "2024-06-19T04:09:11Z", "host": "combo",
				"message": "syslogd 1.4.1: restart.",
			},
		},
		{
			name: "no host",
			line: "<13>Feb  5 17:32:18 kernel: [ 0.000000] Linux version 6.1",
			want: map[string]any{
				"timestamp": "2025-02-05T17:32:18Z", "program": "kernel",
				"message": "[ 0.000000] Linux version 6.1", "facility": num("1"),
				"severity": num("5"),
			},
		},
		{
			name: "fraction of a second and empty message",
			line: "May  1 00:00:00.250 host cron[1]:",
			want: map[string]any{
				"timestamp": "2025-05-01T00:00:00.25Z", "host": "host", "program": "cron",
				"pid":     "1",
				"message": "",
			},
		},
		{
			name: "not a month",
			line: "Foo 30 16:01:36 host prog: x",
			want: map[string]any{"message": "Foo 30 16:01:36 host prog: x"},
		},
		{
			name: "bad hour",
			line: "Mar 30 25:01:36 host prog: x",
			want: map[string]any{"message": "Mar 30 25:01:36 host prog: x"},
		},
		{
			name: "bad PRI",
			line: "<999>Mar 30 12:01:36 host prog: x",
			want: map[string]any{"message": "<999>Mar 30 12:01:36 host prog: x"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _ := parseLine(tc.line)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parse(%q) (-want +got):\n%s", tc.line, diff)
			}
		})
	}
}

func TestSyslogYear(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		year  int
		now   time.Time
		lines []string
		want  []string
	}{
		{
			name:  "current year",
			now:   time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC),
			lines: []string{"Jun 15 23:59:59 h p: x", "Jun 16 00:00:00 h p: x"},
			want:  []string{"2025-06-15T23:59:59Z", "2025-06-16T00:00:00Z"},
		},
		{
			name:  "future date is last year",
			now:   time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC),
			lines: []string{"Dec 30 10:00:00 h p: x"},
			want:  []string{"2024-12-30T10:00:00Z"},
		},
		{
			name: "crossing new year",
			now:  time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC),
			lines: []string{
				"Dec 31 23:59:59 h p: x", "Jan  1 00:00:01 h p: x", "Jan  2 00:00:01 h p: x",
			},
			want: []string{"2024-12-31T23:59:59Z", "2025-01-01T00:00:01Z", "2025-01-02T00:00:01Z"},
		},
		{
			name: "fixed year still crosses",
			year: 2017,
			now:  time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC),
			lines: []string{
				"Nov 30 00:00:00 h p: x", "Dec 31 00:00:00 h p: x", "Jan  1 00:00:00 h p: x",
			},
			want: []string{"2017-11-30T00:00:00Z", "2017-12-31T00:00:00Z", "2018-01-01T00:00:00Z"},
		},
		{
			name:  "months going back without a new year keep the year",
			now:   time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC),
			lines: []string{"May  2 00:00:00 h p: x", "Apr 30 00:00:00 h p: x"},
			want:  []string{"2025-05-02T00:00:00Z", "2025-04-30T00:00:00Z"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := tc.now
			tp := newTextParser(Options{Year: tc.year, Now: func() time.Time { return now }})
			var got []string
			for _, l := range tc.lines {
				f, ts := tp.parse(l)
				if s := ts.Format(time.RFC3339); s != f["timestamp"] {
					t.Errorf("time %s and timestamp field %v differ", s, f["timestamp"])
				}
				got = append(got, ts.Format(time.RFC3339))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("times (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSyslog5424(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		line     string
		want     map[string]any
		wantTime time.Time
	}{
		{
			name: "RFC 5424 example 1",
			line: "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - " +
				"\ufeff'su root' failed for lonvick on /dev/pts/8",
			want: map[string]any{
				"facility": num("4"), "severity": num("2"), "timestamp": "2003-10-11T22:14:15.003Z",
				"host": "mymachine.example.com", "program": "su", "msgid": "ID47",
				"message": "'su root' failed for lonvick on /dev/pts/8",
			},
			wantTime: time.Date(2003, 10, 11, 22, 14, 15, 3000000, time.UTC),
		},
		{
			name: "structured data with escapes",
			line: `<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - ` +
				`[exampleSDID@32473 iut="3" eventSource="App\"lication\]" eventID="1011"]` +
				`[examplePriority@32473 class="high"] An application event`,
			want: map[string]any{
				"facility": num("20"), "severity": num("5"),
				"timestamp": "2003-08-24T05:14:15.000003-07:00",
				"host":      "192.0.2.1", "program": "myproc", "pid": "8710",
				"structured_data": map[string]any{
					"exampleSDID@32473": map[string]any{
						"iut": "3", "eventSource": `App"lication]`, "eventID": "1011",
					},
					"examplePriority@32473": map[string]any{"class": "high"},
				},
				"message": "An application event",
			},
			wantTime: time.Date(2003, 8, 24, 12, 14, 15, 3000, time.UTC),
		},
		{
			name: "all nil, no message",
			line: "<0>1 - - - - - -",
			want: map[string]any{"facility": num("0"), "severity": num("0"), "message": ""},
		},
		{
			name: "structured data without message",
			line: `<13>1 2025-01-01T00:00:00Z h app - - [id@1 a="b"]`,
			want: map[string]any{
				"facility": num("1"), "severity": num("5"), "timestamp": "2025-01-01T00:00:00Z",
				"host": "h", "program": "app", "message": "",
				"structured_data": map[string]any{"id@1": map[string]any{"a": "b"}},
			},
			wantTime: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "broken structured data is kept in the message",
			line: `<13>1 2025-01-01T00:00:00Z h app - - [id@1 a="b] text`,
			want: map[string]any{
				"facility": num("1"), "severity": num("5"), "timestamp": "2025-01-01T00:00:00Z",
				"host": "h", "program": "app", "message": `[id@1 a="b] text`,
			},
			wantTime: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "bad timestamp is not 5424",
			line: "<13>1 yesterday h app - - - msg",
			want: map[string]any{"message": "<13>1 yesterday h app - - - msg"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ts := parseLine(tc.line)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parse(%q) (-want +got):\n%s", tc.line, diff)
			}
			if !ts.Equal(tc.wantTime) {
				t.Errorf("time = %v, want %v", ts, tc.wantTime)
			}
		})
	}
}

func TestParseAccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		line     string
		want     map[string]any
		wantTime time.Time
	}{
		{
			name: "combined",
			line: `83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/kibana-search.png?x=1&y=2 ` +
				`HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/" "Mozilla/5.0 (Macintosh)"`,
			want: map[string]any{
				"c-ip": "83.149.9.216", "timestamp": "2015-05-17T10:05:03Z", "cs-method": "GET",
				"c-uri":       "/presentations/kibana-search.png?x=1&y=2",
				"c-uri-stem":  "/presentations/kibana-search.png",
				"c-uri-query": "x=1&y=2", "cs-version": "HTTP/1.1", "sc-status": num("200"),
				"sc-bytes": num("203023"), "cs-referer": "http://semicomplete.com/presentations/",
				"cs-user-agent": "Mozilla/5.0 (Macintosh)",
			},
			wantTime: time.Date(2015, 5, 17, 10, 5, 3, 0, time.UTC),
		},
		{
			name: "common with user and no bytes",
			line: `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "POST /login HTTP/1.0" 302 -`,
			want: map[string]any{
				"c-ip": "127.0.0.1", "cs-username": "frank",
				"timestamp": "2000-10-10T13:55:36-07:00",
				"cs-method": "POST", "c-uri": "/login", "c-uri-stem": "/login",
				"cs-version": "HTTP/1.0",
				"sc-status":  num("302"),
			},
			wantTime: time.Date(2000, 10, 10, 20, 55, 36, 0, time.UTC),
		},
		{
			name: "nginx with escaped quote and extra field",
			line: `2001:db8::1 - - [01/Jan/2025:00:00:00 +0100] "GET /a\"b HTTP/2.0" 404 12 "-" ` +
				`"curl/8.0 \"x\"" "198.51.100.9"`,
			want: map[string]any{
				"c-ip": "2001:db8::1", "timestamp": "2025-01-01T00:00:00+01:00", "cs-method": "GET",
				"c-uri": `/a"b`, "c-uri-stem": `/a"b`, "cs-version": "HTTP/2.0",
				"sc-status": num("404"),
				"sc-bytes":  num("12"), "cs-referer": "-", "cs-user-agent": `curl/8.0 "x"`,
			},
			wantTime: time.Date(2024, 12, 31, 23, 0, 0, 0, time.UTC),
		},
		{
			name: "junk request",
			line: `192.0.2.9 - - [01/Jan/2025:00:00:00 +0000] "\x16\x03\x01" 400 0 "-" "-"`,
			want: map[string]any{
				"c-ip": "192.0.2.9", "timestamp": "2025-01-01T00:00:00Z", "c-uri": `\x16\x03\x01`,
				"sc-status": num("400"), "sc-bytes": num("0"), "cs-referer": "-",
				"cs-user-agent": "-",
			},
			wantTime: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "bad status",
			line: `192.0.2.9 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 2000 0`,
			want: map[string]any{"message": `192.0.2.9 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 2000 0`},
		},
		{
			name: "apache error log is a message",
			line: "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok",
			want: map[string]any{"message": "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok"},
		},
		{
			name: "other text is a message",
			line: "081109 203615 148 INFO dfs.DataNode$PacketResponder: terminating",
			want: map[string]any{"message": "081109 203615 148 INFO dfs.DataNode$PacketResponder: terminating"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ts := parseLine(tc.line)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parse(%q) (-want +got):\n%s", tc.line, diff)
			}
			if !ts.Equal(tc.wantTime) {
				t.Errorf("time = %v, want %v", ts, tc.wantTime)
			}
		})
	}
}
