package netx

import (
	"errors"
	"net"
	"sync"
	"time"
)

// Backoff bounds: the first retry after an accept error waits minBackoff, doubling up to
// maxBackoff while errors continue; a success resets it.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// Listener is a net.Listener whose Accept never fails but for closing (see Steady).
type Listener struct {
	net.Listener
	logf  func(format string, args ...any)
	slots chan struct{} // one token per open connection; nil: no cap
	done  chan struct{}
	once  sync.Once
}

// Steady wraps ln: Accept retries every error but net.ErrClosed with back-off, and, when max
// > 0, waits while max accepted connections are still open. logf (may be nil) hears about the
// first error of each run of errors.
func Steady(ln net.Listener, max int, logf func(format string, args ...any)) *Listener {
	l := &Listener{Listener: ln, logf: logf, done: make(chan struct{})}
	if max > 0 {
		l.slots = make(chan struct{}, max)
	}
	return l
}

// Accept waits for a free slot, then for a connection.
func (l *Listener) Accept() (net.Conn, error) {
	if l.slots != nil {
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	c, err := l.accept()
	if err != nil {
		if l.slots != nil {
			<-l.slots
		}
		return nil, err
	}
	if l.slots == nil {
		return c, nil
	}
	return &conn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *Listener) accept() (net.Conn, error) {
	wait := time.Duration(0)
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			return c, nil
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, err
		}
		select {
		case <-l.done:
			return nil, net.ErrClosed
		default:
		}
		if wait == 0 {
			wait = minBackoff
			if l.logf != nil {
				l.logf("accept on %s: %v (retrying with back-off)", l.Addr(), err)
			}
		} else {
			wait = min(2*wait, maxBackoff)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-l.done:
			t.Stop()
			return nil, net.ErrClosed
		}
	}
}

// Close closes the listener and wakes a waiting Accept. Twice is harmless.
func (l *Listener) Close() error {
	err := net.ErrClosed
	l.once.Do(func() {
		close(l.done)
		err = l.Listener.Close()
	})
	return err
}

// conn frees its listener slot when closed, once.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// NetConn is the accepted connection itself (a *net.UnixConn, a *net.TCPConn), for what the
// wrapper hides: peer credentials, socket options.
func (c *conn) NetConn() net.Conn { return c.Conn }

// Unwrap returns the connection under a connection Accept returned.
func Unwrap(c net.Conn) net.Conn {
	if w, ok := c.(interface{ NetConn() net.Conn }); ok {
		return w.NetConn()
	}
	return c
}
