package ingest

import (
	"encoding/json"
	"strings"
	"time"
)

// accessTimeLayout is the time format of Apache's %t and Nginx's
// $time_local.
const accessTimeLayout = "02/Jan/2006:15:04:05 -0700"

// parseAccess parses an Apache/Nginx access log line in the common format
// `host ident user [time] "request" status bytes`, optionally followed by
// `"referer" "user-agent"` (combined) and anything else, which is ignored.
// Field names follow the W3C extended log format that Sigma's web rules use.
func parseAccess(line string) (map[string]any, time.Time, bool) {
	host, rest, ok := strings.Cut(line, " ")
	if !ok || host == "" {
		return nil, time.Time{}, false
	}
	_, rest, ok = strings.Cut(rest, " ") // ident (RFC 1413), almost always "-"
	if !ok {
		return nil, time.Time{}, false
	}
	user, rest, ok := strings.Cut(rest, " ")
	if !ok || user == "" || !strings.HasPrefix(rest, "[") {
		return nil, time.Time{}, false
	}
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return nil, time.Time{}, false
	}
	// The zero instant (01/Jan/0001:00:00:00 +0000) means "no time" to
	// events and stores: it is no access log's time.
	t, err := time.Parse(accessTimeLayout, rest[1:end])
	if err != nil || t.IsZero() || !strings.HasPrefix(rest[end+1:], ` "`) {
		return nil, time.Time{}, false
	}
	request, rest, ok := cutQuoted(rest[end+2:])
	if !ok {
		return nil, time.Time{}, false
	}
	status, bytes, rest, ok := accessNumbers(rest)
	if !ok {
		return nil, time.Time{}, false
	}

	f := make(map[string]any, 14)
	f["c-ip"] = host
	if user != "-" {
		f["cs-username"] = user
	}
	f["timestamp"] = t.Format(time.RFC3339)
	setRequest(f, request)
	f["sc-status"] = json.Number(status)
	if bytes != "-" {
		f["sc-bytes"] = json.Number(bytes)
	}
	if referer, after, ok := cutQuoted(strings.TrimPrefix(rest, " ")); ok {
		f["cs-referer"] = referer
		if agent, _, ok := cutQuoted(strings.TrimPrefix(after, " ")); ok {
			f["cs-user-agent"] = agent
		}
	}
	return f, t, true
}

// accessNumbers reads ` status bytes` after the request.
func accessNumbers(s string) (status, bytes, rest string, ok bool) {
	s, ok = strings.CutPrefix(s, " ")
	if !ok {
		return "", "", "", false
	}
	status, s, _ = strings.Cut(s, " ")
	if _, ok := atoiRange(status, 100, 999); !ok || len(status) != 3 {
		return "", "", "", false
	}
	bytes, rest, _ = strings.Cut(s, " ")
	if bytes != "-" {
		if _, ok := atoiRange(bytes, 0, 1<<62); !ok || len(bytes) > 18 {
			return "", "", "", false
		}
	}
	if rest != "" {
		rest = " " + rest
	}
	return status, bytes, rest, true
}

// setRequest splits `METHOD URI PROTOCOL` into cs-method, c-uri (with
// c-uri-stem and c-uri-query) and cs-version. A request that does not split
// ("-", or junk a scanner sent) is kept whole in c-uri.
func setRequest(f map[string]any, request string) {
	method, uri, ok := strings.Cut(request, " ")
	if !ok {
		f["c-uri"] = request
		return
	}
	if i := strings.LastIndexByte(uri, ' '); i >= 0 && strings.HasPrefix(uri[i+1:], "HTTP/") {
		f["cs-version"] = uri[i+1:]
		uri = uri[:i]
	}
	f["cs-method"] = method
	f["c-uri"] = uri
	stem, query, hasQuery := strings.Cut(uri, "?")
	f["c-uri-stem"] = stem
	if hasQuery {
		f["c-uri-query"] = query
	}
}

// cutQuoted reads a double-quoted string at the start of s, undoing the \"
// and \\ escapes Apache writes, and returns it and what follows.
func cutQuoted(s string) (value, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", s, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			i++
			b.WriteByte(s[i])
		case c == '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(c)
		}
	}
	return "", s, false
}
