package media

import (
	"net"
	"syscall"
)

// forceBuffers gives a socket 4 MiB buffers each way, past rmem_max when
// the process may (root: SO_RCVBUFFORCE), as the benchmarking notes advise
// for anything that takes a whole load on one socket.
func forceBuffers(c *net.UDPConn) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, 4<<20)
		_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUFFORCE, 4<<20)
	})
	c.SetReadBuffer(4 << 20)
	c.SetWriteBuffer(4 << 20)
}
