package itest

import (
	"errors"
	"fmt"
	"net"
	"sync"
)

// Ports are found by binding port 0 and releasing it. A process-wide set
// remembers what was handed out, so two helpers in one test binary never get
// the same port even before the first one is bound again.
var (
	portMu    sync.Mutex
	portsUsed = map[int]bool{}
)

const portAttempts = 200 // bounded search

var loopback = net.IPv4(127, 0, 0, 1)

func claim(p int) bool {
	portMu.Lock()
	defer portMu.Unlock()
	if portsUsed[p] {
		return false
	}
	portsUsed[p] = true
	return true
}

// FreeTCPPort returns a free TCP port on 127.0.0.1.
func FreeTCPPort() (int, error) {
	for i := 0; i < portAttempts; i++ {
		l, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: loopback})
		if err != nil {
			return 0, err
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if claim(p) {
			return p, nil
		}
	}
	return 0, errors.New("itest: no free TCP port")
}

// FreeUDPPort returns a free UDP port on 127.0.0.1.
func FreeUDPPort() (int, error) {
	for i := 0; i < portAttempts; i++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loopback})
		if err != nil {
			return 0, err
		}
		p := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		if claim(p) {
			return p, nil
		}
	}
	return 0, errors.New("itest: no free UDP port")
}

// FreeUDPTCPPort returns a port free for both UDP and TCP on 127.0.0.1 (the
// switch listens for SIP on both at the same address).
func FreeUDPTCPPort() (int, error) {
	for i := 0; i < portAttempts; i++ {
		l, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: loopback})
		if err != nil {
			return 0, err
		}
		p := l.Addr().(*net.TCPAddr).Port
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loopback, Port: p})
		l.Close()
		if err != nil {
			continue // UDP side taken; try another
		}
		c.Close()
		if claim(p) {
			return p, nil
		}
	}
	return 0, errors.New("itest: no free UDP+TCP port pair")
}

// FreeUDPRange returns p such that UDP p..p+n-1 are all free (SIPp's media
// ports: -mp uses p and the next few).
func FreeUDPRange(n int) (int, error) {
	for i := 0; i < portAttempts; i++ {
		first, err := FreeUDPPort()
		if err != nil {
			return 0, err
		}
		ok := true
		var conns []*net.UDPConn
		for j := 1; j < n; j++ {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loopback, Port: first + j})
			if err != nil || !claim(first+j) {
				if c != nil {
					c.Close()
				}
				ok = false
				break
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
		if ok {
			return first, nil
		}
	}
	return 0, fmt.Errorf("itest: no %d consecutive free UDP ports", n)
}

func itoa(n int) string { return fmt.Sprint(n) }
