package bootstrap

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// drain makes a stop answer every connection the server accepted. http.Server.Shutdown closes,
// unanswered, a connection whose first request it reads after the shutdown began; under load a
// connection can be accepted and still wait for its goroutine to read the request. So the stop
// first closes the listener (new connections are refused), waits until every accepted
// connection has handed its first request to the handler, and only then calls Shutdown, which
// waits for the requests in flight.
type drain struct {
	mu      sync.Mutex
	pending map[net.Conn]struct{} // accepted, first request not yet in the handler
}

// drainConnKey carries the request's connection in its context.
type drainConnKey struct{}

func newDrain() *drain { return &drain{pending: map[net.Conn]struct{}{}} }

// connState is the http.Server ConnState hook.
func (d *drain) connState(c net.Conn, state http.ConnState) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch state {
	case http.StateNew:
		d.pending[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(d.pending, c)
	}
}

// connContext is the http.Server ConnContext hook: it lets the handler know the connection.
func (d *drain) connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, drainConnKey{}, c)
}

// handler marks the request's connection as served before passing the request on.
func (d *drain) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(drainConnKey{}).(net.Conn); ok {
			d.mu.Lock()
			delete(d.pending, c)
			d.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// wait returns once no accepted connection waits for its first request to be read, after at
// most max (net/http itself gives up on a silent new connection after 5 s), or when ctx ends.
func (d *drain) wait(ctx context.Context, max time.Duration) {
	deadline := time.Now().Add(max)
	for {
		d.mu.Lock()
		n := len(d.pending)
		d.mu.Unlock()
		if n == 0 || time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// onceCloseListener lets the stop close the listener before Shutdown closes it again.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}
