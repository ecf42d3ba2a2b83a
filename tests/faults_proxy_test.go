package tests

import (
	"net"
	"strconv"
	"sync"
	"testing"
)

// freezingProxy forwards TCP connections to a local port until it is frozen. Frozen, it still
// accepts connections and reads what clients send, but passes nothing on in either direction
// (and opens no connection upstream): to its clients the server looks hung, as behind a network
// partition. Thawed, it delivers what it held and carries on.
type freezingProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	open  chan struct{} // closed while traffic may flow
	conns []net.Conn
	wg    sync.WaitGroup
}

// newFreezingProxy listens on a free loopback port and forwards to 127.0.0.1:port; it is closed
// when the test ends.
func newFreezingProxy(t *testing.T, port int) *freezingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezingProxy{ln: ln, target: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), open: make(chan struct{})}
	close(p.open)
	p.wg.Go(p.serve)
	t.Cleanup(p.close)
	return p
}

func (p *freezingProxy) addr() string { return p.ln.Addr().String() }

// freeze stops all traffic.
func (p *freezingProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open = make(chan struct{})
}

// thaw lets traffic flow again.
func (p *freezingProxy) thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
	default:
		close(p.open)
	}
}

// pass blocks while the proxy is frozen.
func (p *freezingProxy) pass() {
	p.mu.Lock()
	open := p.open
	p.mu.Unlock()
	<-open
}

// track remembers a connection so that close can end it.
func (p *freezingProxy) track(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = append(p.conns, c)
}

func (p *freezingProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.track(client)
		p.wg.Go(func() {
			defer client.Close()
			p.pass()
			upstream, err := net.Dial("tcp", p.target)
			if err != nil {
				return
			}
			p.track(upstream)
			defer upstream.Close()
			// Each direction closes both connections when it ends, which ends the other.
			var both sync.WaitGroup
			both.Go(func() { p.copy(upstream, client) })
			both.Go(func() { p.copy(client, upstream) })
			both.Wait()
		})
	}
}

// copy moves bytes from src to dst, holding them while the proxy is frozen.
func (p *freezingProxy) copy(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.pass()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // io.EOF or a closed connection: either way this direction is done
			return
		}
	}
}

// close thaws the proxy, stops listening and ends every connection.
func (p *freezingProxy) close() {
	p.thaw()
	_ = p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
