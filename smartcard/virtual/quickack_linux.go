//go:build linux

package virtual

import (
	"net"
	"syscall"
)

// quickAcker returns a function that sets TCP_QUICKACK on conn's socket. Linux
// clears the flag by itself after a while, so it is set again before each read.
//
// vpcd writes each frame in two writes (length, then payload) without
// TCP_NODELAY, so its payload waits in Nagle's algorithm for our ACK of the
// length, which delayed ACK holds back for up to ~40 ms. Acknowledging at once
// brings an APDU round trip through pcscd from ~45 ms to ~0.15 ms.
func quickAcker(conn net.Conn) func() {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return func() {}
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	return func() {
		// Best effort: without it the card is slower, not wrong.
		_ = raw.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
		})
	}
}
