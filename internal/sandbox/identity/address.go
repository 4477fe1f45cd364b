package identity

import (
	"net"
	"net/http"
	"net/netip"
)

// ClientAddress is who a request comes from, for the limits that apply before
// anyone has signed in: the connection's remote IP address. An IPv6 address
// counts as its /64, the block one host is normally given, so that a host
// cannot pass as thousands of clients by changing its interface ID.
//
// X-Forwarded-For and Forwarded are ignored: the sandbox is not behind a
// proxy, so those headers are whatever the client chose to write, and would
// let one client pose as any number of others.
func ClientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host // not an IP (a test's made-up RemoteAddr): itself
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
