//go:build !linux

package virtual

import "net"

// quickAcker does nothing where TCP_QUICKACK does not exist; see the Linux
// version for why it matters there.
func quickAcker(net.Conn) func() { return func() {} }
