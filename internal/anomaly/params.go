package anomaly

import (
	"net/netip"
	"strings"
)

// The kinds of value the new-value model watches.
const (
	KindUser    = "user"
	KindAddress = "address"
	KindProcess = "process"
)

// userWords and processWords name a value in the token before it or in its
// key ("user alice", "user=alice", "process=sshd").
var (
	userWords = map[string]bool{
		"user": true, "username": true, "user_name": true, "login": true, "account": true,
		"acct": true, "ruser": true, "logname": true, "principal": true,
	}
	processWords = map[string]bool{
		"process": true, "proc": true, "program": true, "comm": true, "exe": true,
		"executable": true, "image": true, "command": true, "cmd": true,
	}
)

// paramKind returns the kind of the value at position pos of a template
// (tokens) and the value itself, cleaned of a port or brackets for an
// address; "" when the value is of no watched kind. An IP address (with or
// without a port) is an address wherever it stands; a user or a process is
// recognised by its key ("user=x"), by the word before it ("user x"), and
// a user also by "for x from", the phrase of authentication logs.
func paramKind(tokens []string, pos int, value string) (kind, clean string) {
	if a, ok := parseAddress(value); ok {
		return KindAddress, a
	}
	key := ""
	tok := tokens[pos]
	if i := strings.Index(tok, Wildcard); i > 0 {
		key = tok[:i]
	}
	if key == "" && pos > 0 {
		key = tokens[pos-1]
	}
	key = strings.ToLower(strings.Trim(key, "=:\"'([{ "))
	switch {
	case userWords[key]:
		return KindUser, value
	case processWords[key]:
		return KindProcess, value
	case key == "for" && pos+1 < len(tokens) && tokens[pos+1] == "from":
		return KindUser, value
	}
	return "", ""
}

// parseAddress recognises an IP address, optionally with a port, in
// brackets or followed by punctuation.
func parseAddress(s string) (string, bool) {
	s = strings.Trim(s, "()<>,;\"'")
	if host, port, ok := strings.Cut(s, "]:"); ok && strings.HasPrefix(host, "[") {
		s = host[1:] + ":" + port // [192.0.2.1]:22
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().String(), true
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.Unmap().String(), true
	}
	return "", false
}
