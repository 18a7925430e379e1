package api

import (
	"net"
	"syscall"
)

// setCork sets or clears TCP_CORK on c: while set, the kernel holds what
// is written until a full segment or the clear, so that a response written
// in two parts (headers, body) leaves as one.
func setCork(c net.Conn, on bool) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	v := 0
	if on {
		v = 1
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK, v)
	})
}
