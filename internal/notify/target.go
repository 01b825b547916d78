package notify

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrPrivateTarget is returned (wrapped) when a webhook would reach an
// address that is not public: loopback, private (RFC 1918, RFC 4193),
// link-local (which holds cloud metadata services such as
// 169.254.169.254), shared (RFC 6598), unspecified or multicast. Webhooks
// are set by admins, but a webhook must not turn Vigil into a proxy to the
// services beside it; serve --webhook-allow-private lifts the rule.
var ErrPrivateTarget = errors.New("webhook target is not a public address")

// sharedSpace is RFC 6598 carrier-grade NAT space, which netip does not
// count as private.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// CheckTargetAddr reports, wrapping ErrPrivateTarget, whether addr is an
// address that webhooks may not reach without --webhook-allow-private.
func CheckTargetAddr(addr netip.Addr) error {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsUnspecified() ||
		addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || sharedSpace.Contains(addr) ||
		addr.Is4() && addr.As4()[0] == 0 {
		return fmt.Errorf("%w: %s", ErrPrivateTarget, addr)
	}
	return nil
}

// CheckTargetHost checks the host of a webhook URL before it is stored: an
// IP literal must be public (CheckTargetAddr) and "localhost" is refused.
// Other names are checked when they are dialled, on the address they
// resolve to then (WebhookClient), so that a name that later resolves to
// a private address is refused too.
func CheckTargetHost(host string) error {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return fmt.Errorf("%w: %s", ErrPrivateTarget, host)
	}
	if addr, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return CheckTargetAddr(addr)
	}
	return nil
}

// WebhookClient returns the HTTP client of webhook posts: it follows no
// redirects, times out after DefaultSendTimeout, uses no proxy from the
// environment, and unless allowPrivate refuses to connect to an address
// that CheckTargetAddr refuses, checked on the address actually dialled
// (after DNS resolution).
func WebhookClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrPrivateTarget, address)
			}
			return CheckTargetAddr(ap.Addr())
		}
	}
	tr := &http.Transport{DialContext: d.DialContext, ForceAttemptHTTP2: true,
		TLSHandshakeTimeout: 10 * time.Second, MaxIdleConns: 10,
		IdleConnTimeout: 90 * time.Second}
	return &http.Client{Transport: tr, Timeout: DefaultSendTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
}
