package registry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestServeLimits: Serve closes a connection that sends no header within HeaderTimeout, holds
// connections past MaxConns in the backlog until one closes, and returns once its context ends.
func TestServeLimits(t *testing.T) {
	s := &Server{Reg: newReg(t), Log: func(string) {}, Limits: ServerLimits{MaxConns: 1, HeaderTimeout: 500 * time.Millisecond}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, nil) }()
	addr := ln.Addr().String()

	// A silent connection is closed after the header timeout.
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	silent.SetReadDeadline(time.Now().Add(30 * time.Second))
	start := time.Now()
	if _, err := silent.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("silent connection: %v after %v, want the server to close it", err, time.Since(start))
	}
	silent.Close()

	// Past MaxConns a request waits until the connection holding the slot goes.
	holder, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	holder.Write([]byte("GET /v1/search?q=x HTTP/1.1\r\nHost: x\r\n\r\n")) // answered, then kept alive
	holder.SetReadDeadline(time.Now().Add(30 * time.Second))
	if n, err := holder.Read(make([]byte, 4096)); n == 0 {
		t.Fatalf("holder: %v", err)
	}
	answered := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/v1/search?q=x")
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	select {
	case c := <-answered:
		t.Fatalf("a second connection was served (%d) while the first held the only slot", c)
	case <-time.After(300 * time.Millisecond): // the negative check needs a wait
	}
	holder.Close()
	select {
	case c := <-answered:
		if c != http.StatusOK {
			t.Fatalf("second request: %d", c)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the second connection was not served after the first closed")
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}
