package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// The control socket's place and who may talk through it (docs/design/security.md,
// 2026-12-03). It is <home>/run/control.sock, in a directory only its owner may enter (0700,
// owned by the user, not a symlink): never a guessable name in a shared directory such as
// /tmp, where another local user could bind it first and receive `orbital ps` and `orbital
// kill`. Both ends open that directory once, check it through the open descriptor, and then
// reach the socket through /proc/self/fd/N/control.sock: no path can be swapped between the
// check and the use, and the address stays short however long the home's path is (a unix
// socket address holds 108 bytes). Both ends then ask the kernel who is on the other side
// (SO_PEERCRED): the client sends nothing to a server of another user, and the server answers
// no client of another user.

// ControlSocketPath is the control socket of the Orbital instance whose home is home. Every
// program that serves or reaches it (cmd/orbital, package system) calls this one function.
func ControlSocketPath(home string) string {
	if abs, err := filepath.Abs(home); err == nil {
		home = abs
	}
	return filepath.Join(home, "run", "control.sock")
}

// ErrNotPrivate is returned when the control socket's directory, or the process behind the
// socket, belongs to another user.
var ErrNotPrivate = errors.New("not private to this user")

// socketDir is an open, checked directory of the control socket.
type socketDir struct {
	fd   int
	dir  string
	name string
}

// openSocketDir opens the directory of path, creating it (0700) when create is set, and checks
// that it is a real directory owned by uid that nobody else may enter or change.
func openSocketDir(path string, uid int, create bool) (*socketDir, error) {
	dir, name := filepath.Dir(path), filepath.Base(path)
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
			return nil, fmt.Errorf("%s is not a directory (a symlink?): %w", dir, ErrNotPrivate)
		}
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	d := &socketDir{fd: fd, dir: dir, name: name}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		d.close()
		return nil, &os.PathError{Op: "stat", Path: dir, Err: err}
	}
	if int(st.Uid) != uid {
		d.close()
		return nil, fmt.Errorf("directory %s belongs to uid %d, not to uid %d: %w", dir, st.Uid, uid, ErrNotPrivate)
	}
	if st.Mode&0o077 != 0 {
		if !create {
			d.close()
			return nil, fmt.Errorf("directory %s has mode %04o; others may enter it: %w", dir, st.Mode&0o7777, ErrNotPrivate)
		}
		// Ours, made loose by someone's umask or an older Orbital: tighten it.
		if err := os.Chmod("/proc/self/fd/"+strconv.Itoa(fd), 0o700); err != nil {
			d.close()
			return nil, fmt.Errorf("directory %s has mode %04o and cannot be made 0700: %w", dir, st.Mode&0o7777, err)
		}
	}
	return d, nil
}

// addr is the socket's address through the open directory.
func (d *socketDir) addr() string { return "/proc/self/fd/" + strconv.Itoa(d.fd) + "/" + d.name }

func (d *socketDir) close() { unix.Close(d.fd) }

// peerUID is the uid of the process on the other end of a unix socket connection.
func peerUID(c net.Conn) (int, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return -1, fmt.Errorf("not a unix socket connection (%T)", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return -1, err
	}
	if cerr != nil {
		return -1, cerr
	}
	return int(cred.Uid), nil
}

// dialControl connects to the control socket at path after checking its directory, and
// returns the connection only if the server runs as uid.
func dialControl(ctx context.Context, path string, uid int) (net.Conn, error) {
	d, err := openSocketDir(path, uid, false)
	if err != nil {
		return nil, err
	}
	defer d.close()
	conn, err := dialBusy(ctx, d.addr())
	if err != nil {
		return nil, err
	}
	got, err := peerUID(conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("control socket %s: who is serving it: %w", path, err)
	}
	if got != uid {
		conn.Close()
		return nil, fmt.Errorf("control socket %s is served by uid %d, not by you (uid %d); nothing was sent: %w", path, got, uid, ErrNotPrivate)
	}
	return conn, nil
}

// busyWait bounds how long a client waits for a control socket whose backlog is full.
const busyWait = 10 * time.Second

// dialBusy connects to a Unix socket. A full backlog (EAGAIN: the instance is alive but has
// not accepted yet, e.g. while it is short of file descriptors) is waited out with a short
// backoff, up to busyWait or ctx's deadline; any other error returns at once.
func dialBusy(ctx context.Context, addr string) (net.Conn, error) {
	var dl net.Dialer
	wait := 5 * time.Millisecond
	give := time.Now().Add(busyWait)
	for {
		conn, err := dl.DialContext(ctx, "unix", addr)
		if err == nil || !errors.Is(err, unix.EAGAIN) || time.Now().After(give) {
			if err != nil && errors.Is(err, unix.EAGAIN) {
				return nil, fmt.Errorf("%w: %v", ErrBusy, err)
			}
			return conn, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %v", ErrBusy, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}
