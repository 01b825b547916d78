package ingest

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// maxTagLen bounds an RFC 3164 tag (program name). RFC 3164 says 32, but
// real tags such as "sshd(pam_unix)" or systemd unit names run longer.
const maxTagLen = 128

// parsePRI reads "<PRI>" at the start of s: it returns the priority and the
// bytes it took.
func parsePRI(s string) (pri, n int, ok bool) {
	if len(s) < 3 || s[0] != '<' {
		return 0, 0, false
	}
	end := strings.IndexByte(s[:min(len(s), 5)], '>')
	if end < 2 {
		return 0, 0, false
	}
	pri, err := strconv.Atoi(s[1:end])
	if err != nil || pri < 0 || pri > 191 || s[1] == '+' || s[1] == '-' {
		return 0, 0, false
	}
	return pri, end + 1, true
}

func setPRI(f map[string]any, pri int) {
	f["facility"] = json.Number(strconv.Itoa(pri / 8))
	f["severity"] = json.Number(strconv.Itoa(pri % 8))
}

// parse3164 parses "[<PRI>]Mmm dd hh:mm:ss[.frac] [host ]tag[pid]: message"
// as in RFC 3164 and /var/log/auth.log. The host is taken to be absent when
// the word after the time is itself a tag ("sshd[42]:").
func (tp *textParser) parse3164(line string) (map[string]any, time.Time, bool) {
	f := make(map[string]any, 8)
	rest := line
	if pri, n, ok := parsePRI(rest); ok {
		setPRI(f, pri)
		rest = rest[n:]
	}
	stamp, n, ok := parse3164Time(rest)
	if !ok {
		return nil, time.Time{}, false
	}
	t := tp.year.date(stamp)
	f["timestamp"] = t.Format(time.RFC3339Nano)
	rest = strings.TrimLeft(rest[n:], " ")

	if word, after, _ := strings.Cut(rest, " "); word != "" && !isTagWord(word) {
		f["host"] = word
		rest = strings.TrimLeft(after, " ")
	}
	if prog, pid, msg, ok := parseTag(rest); ok {
		f["program"] = prog
		if pid != "" {
			f["pid"] = pid
		}
		rest = msg
	}
	f["message"] = rest
	return f, t, true
}

// stamp3164 is an RFC 3164 time, which has no year.
type stamp3164 struct {
	month                   time.Month
	day, hour, min, sec, ns int
}

var months = map[string]time.Month{
	"Jan": time.January, "Feb": time.February, "Mar": time.March, "Apr": time.April,
	"May": time.May, "Jun": time.June, "Jul": time.July, "Aug": time.August,
	"Sep": time.September, "Oct": time.October, "Nov": time.November, "Dec": time.December,
}

// parse3164Time reads "Mmm dd hh:mm:ss" (day space-padded or not) with an
// optional fraction of a second.
func parse3164Time(s string) (stamp3164, int, bool) {
	var st stamp3164
	if len(s) < 15 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' || s[12] != ':' {
		return st, 0, false
	}
	month, ok := months[s[:3]]
	if !ok {
		return st, 0, false
	}
	st.month = month
	day := strings.TrimLeft(s[4:6], " ")
	var okD, okH, okM, okS bool
	st.day, okD = atoiRange(day, 1, 31)
	st.hour, okH = atoiRange(s[7:9], 0, 23)
	st.min, okM = atoiRange(s[10:12], 0, 59)
	st.sec, okS = atoiRange(s[13:15], 0, 60)
	if !okD || !okH || !okM || !okS {
		return st, 0, false
	}
	n := 15
	if n < len(s) && s[n] == '.' {
		j := n + 1
		for j < len(s) && j < n+10 && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j > n+1 {
			frac, _ := strconv.Atoi(s[n+1 : j])
			for k := j - n - 1; k < 9; k++ {
				frac *= 10
			}
			st.ns, n = frac, j
		}
	}
	if n < len(s) && s[n] != ' ' {
		return st, 0, false
	}
	return st, n, true
}

// atoiRange parses a small unsigned decimal in [lo, hi].
func atoiRange(s string, lo, hi int) (int, bool) {
	if s == "" {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, v >= lo && v <= hi
}

// isTagWord reports whether w is a whole tag: "prog:" or "prog[pid]:".
func isTagWord(w string) bool {
	_, _, rest, ok := parseTag(w)
	return ok && rest == ""
}

// parseTag splits "prog[pid]: message" or "prog: message". Parentheses in the
// program name are kept ("sshd(pam_unix)[42]: ...").
func parseTag(s string) (prog, pid, msg string, ok bool) {
	depth := 0
	i := 0
scan:
	for ; i < len(s) && i <= maxTagLen; i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ' ', '\t':
			return "", "", "", false
		case ':', '[':
			if depth <= 0 {
				break scan
			}
		}
	}
	if i == 0 || i >= len(s) || i > maxTagLen {
		return "", "", "", false
	}
	prog = s[:i]
	rest := s[i:]
	if rest[0] == '[' {
		end := strings.IndexByte(rest, ']')
		if end < 0 || end+1 >= len(rest) || rest[end+1] != ':' {
			return "", "", "", false
		}
		pid, rest = rest[1:end], rest[end+1:]
	}
	return prog, pid, strings.TrimLeft(rest[1:], " "), true
}

// yearGuesser gives RFC 3164 times a year. The first time of a stream gets
// the fixed year, or the current one, or the previous one when the date
// would be more than a day ahead of now; each January after a December
// moves to the next year.
type yearGuesser struct {
	fixed int
	now   func() time.Time
	year  int
	last  time.Month
}

func (y *yearGuesser) date(st stamp3164) time.Time {
	at := func(year int) time.Time {
		return time.Date(year, st.month, st.day, st.hour, st.min, st.sec, st.ns, time.UTC)
	}
	switch {
	case y.year == 0 && y.fixed != 0:
		y.year = y.fixed
	case y.year == 0:
		now := y.now()
		y.year = now.Year()
		if at(y.year).After(now.Add(24 * time.Hour)) {
			y.year--
		}
	case y.last == time.December && st.month == time.January:
		y.year++
	}
	y.last = st.month
	return at(y.year)
}

// parse5424 parses an RFC 5424 line:
// "<PRI>VERSION TIMESTAMP HOST APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]",
// where "-" stands for an absent header field. Structured data that does not
// parse is kept in the message.
func parse5424(line string) (map[string]any, time.Time, bool) {
	pri, n, ok := parsePRI(line)
	if !ok {
		return nil, time.Time{}, false
	}
	rest := line[n:]
	var head [6]string
	for i := range head {
		var word string
		word, rest, ok = strings.Cut(rest, " ")
		if !ok && i < len(head)-1 || word == "" {
			return nil, time.Time{}, false
		}
		head[i] = word
	}
	if _, ok := atoiRange(head[0], 1, 99); !ok || len(head[0]) > 2 {
		return nil, time.Time{}, false
	}
	var t time.Time
	if head[1] != "-" {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, head[1]); err != nil {
			return nil, time.Time{}, false
		}
	}

	f := make(map[string]any, 10)
	setPRI(f, pri)
	if !t.IsZero() {
		f["timestamp"] = head[1]
	}
	for i, key := range [...]string{"host", "program", "pid", "msgid"} {
		if v := head[i+2]; v != "-" {
			f[key] = v
		}
	}
	f["message"] = ""
	if rest == "" {
		return f, t.UTC(), true
	}
	if rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ') {
		rest = rest[1:]
	} else if sd, after, ok := parseSD(rest); ok {
		f["structured_data"] = sd
		rest = after
	}
	rest = strings.TrimPrefix(rest, " ")
	f["message"] = strings.TrimPrefix(rest, "\ufeff")
	return f, t.UTC(), true
}

// parseSD reads one or more "[id name="value" ...]" elements. Values may
// escape '"', '\' and ']' with a backslash. The first element with an ID
// wins over later ones with the same ID.
func parseSD(s string) (map[string]any, string, bool) {
	sd := map[string]any{}
	i := 0
	for i < len(s) && s[i] == '[' {
		i++
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != ']' && s[j] != '=' && s[j] != '"' {
			j++
		}
		if j == i || j == len(s) {
			return nil, s, false
		}
		id := s[i:j]
		params := map[string]any{}
		i = j
		for i < len(s) && s[i] == ' ' {
			name, value, next, ok := parseSDParam(s, i+1)
			if !ok {
				return nil, s, false
			}
			if _, dup := params[name]; !dup {
				params[name] = value
			}
			i = next
		}
		if i >= len(s) || s[i] != ']' {
			return nil, s, false
		}
		i++
		if _, dup := sd[id]; !dup {
			sd[id] = params
		}
	}
	return sd, s[i:], len(sd) > 0
}

// parseSDParam reads `name="value"` at s[i:] and returns the offset after it.
func parseSDParam(s string, i int) (name, value string, next int, ok bool) {
	eq := strings.IndexByte(s[i:], '=')
	if eq <= 0 || i+eq+1 >= len(s) || s[i+eq+1] != '"' {
		return "", "", 0, false
	}
	name = s[i : i+eq]
	if strings.ContainsAny(name, " ]\"") {
		return "", "", 0, false
	}
	var b strings.Builder
	for j := i + eq + 2; j < len(s); j++ {
		switch c := s[j]; {
		case c == '\\' && j+1 < len(s) && strings.IndexByte(`"\]`, s[j+1]) >= 0:
			j++
			b.WriteByte(s[j])
		case c == '"':
			return name, b.String(), j + 1, true
		default:
			b.WriteByte(c)
		}
	}
	return "", "", 0, false
}
