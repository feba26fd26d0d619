package admin

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A socket whose backlog is full answers connect with EAGAIN. The client waits for the
// instance to accept (it is alive, only short of descriptors) instead of reporting that no
// instance runs; when the backlog stays full it says so, not "no running Orbital instance".
func TestDialBusyWaitsForFullBacklog(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "s.sock")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: addr}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	ln, err := net.FileListener(os.NewFile(uintptr(fd), addr))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// Fill the backlog: connect until the kernel refuses with EAGAIN.
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for len(held) < 64 {
		c, err := net.DialTimeout("unix", addr, time.Second)
		if err != nil {
			if !errors.Is(err, unix.EAGAIN) {
				t.Fatalf("filling the backlog: %v", err)
			}
			break
		}
		held = append(held, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err = dialBusy(ctx, addr)
	cancel()
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("dial with a full backlog: %v, want ErrBusy", err)
	}
	// The instance accepts again: the waiting client gets through.
	go func() {
		time.Sleep(100 * time.Millisecond)
		for range len(held) + 1 {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := dialBusy(ctx, addr)
	if err != nil {
		t.Fatalf("dial once the backlog drains: %v", err)
	}
	c.Close()
}
