package netx

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// flaky is a listener whose Accept fails with errs first, then serves the real one: the one
// fault a test cannot easily make a real listener produce on cue.
type flaky struct {
	net.Listener
	errs []error
}

func (f *flaky) Accept() (net.Conn, error) {
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return nil, err
	}
	return f.Listener.Accept()
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func TestSteadyRetriesEveryError(t *testing.T) {
	ln := listen(t)
	errs := []error{
		&net.OpError{Op: "accept", Err: syscall.EMFILE},
		&net.OpError{Op: "accept", Err: syscall.ENFILE},
		&net.OpError{Op: "accept", Err: syscall.ENOMEM}, // not "temporary" to net/http: it would stop serving
		&net.OpError{Op: "accept", Err: syscall.ECONNABORTED},
	}
	var logged []string
	s := Steady(&flaky{Listener: ln, errs: errs}, 0, func(f string, a ...any) { logged = append(logged, f) })
	go func() {
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	}()
	c, err := s.Accept()
	if err != nil {
		t.Fatalf("Accept after four errors: %v", err)
	}
	c.Close()
	if len(logged) != 1 {
		t.Fatalf("logged %d times for one run of errors, want once: %q", len(logged), logged)
	}
}

func TestSteadyCloseEndsBackoff(t *testing.T) {
	ln := listen(t)
	errs := make([]error, 1000)
	for i := range errs {
		errs[i] = &net.OpError{Op: "accept", Err: syscall.EMFILE}
	}
	s := Steady(&flaky{Listener: ln, errs: errs}, 0, nil)
	done := make(chan error, 1)
	go func() { _, err := s.Accept(); done <- err }()
	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still backing off 5 s after Close")
	}
	if err := s.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

func TestSteadyCap(t *testing.T) {
	ln := listen(t)
	s := Steady(ln, 2, nil)
	defer s.Close()
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := s.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	var clients []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	a, b := <-accepted, <-accepted
	select {
	case <-accepted:
		t.Fatal("a third connection was accepted with a cap of 2")
	case <-time.After(100 * time.Millisecond):
	}
	a.Close()
	a.Close() // frees its slot once only
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("the third connection was not accepted after one closed")
	}
	b.Close()
	if Unwrap(b) == b {
		t.Fatal("Unwrap returned the wrapper")
	}
	_ = clients
}
