//go:build !linux

package api

import "net"

// setCork does nothing where TCP_CORK is not there.
func setCork(net.Conn, bool) {}
