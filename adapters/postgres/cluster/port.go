package cluster

import (
	"fmt"
	"net"
	"strconv"
)

// pickPort returns preferred if it is free on 127.0.0.1, else a port the kernel hands out.
func pickPort(preferred int) (int, error) {
	if preferred > 0 && portFree(preferred) {
		return preferred, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cluster: find a free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, fmt.Errorf("cluster: find a free port: %w", err)
	}
	return port, nil
}

// portFree reports whether a listener can bind 127.0.0.1:port right now.
func portFree(port int) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = ln.Close()
	return true
}
