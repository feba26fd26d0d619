package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// HeaderSize is the fixed frame header.
	HeaderSize = 8
	// MaxBody bounds a frame body: the bus's 1 MiB payload plus room for a topic and regions.
	MaxBody = 1<<20 + 64<<10
	// MaxFDs bounds the descriptors one frame may carry.
	MaxFDs = 16
	// maxQueuedFDs bounds descriptors received but not yet claimed by a frame.
	maxQueuedFDs = 64
)

// ErrProtocol marks a violation of the protocol by the peer: garbage, an oversized frame, a
// missing descriptor. The host stops a driver that commits one.
var ErrProtocol = errors.New("driver protocol violation")

// Frame is one protocol unit. FDs are owned by whoever holds the frame: close them or pass them on.
type Frame struct {
	Type Type
	Body []byte
	FDs  []int
}

// CloseFDs closes the frame's descriptors (those not taken by setting FDs to nil).
func (f *Frame) CloseFDs() {
	for _, fd := range f.FDs {
		unix.Close(fd)
	}
	f.FDs = nil
}

// Conn is one end of a driver socket.
type Conn struct {
	uc *net.UnixConn

	// WriteTimeout bounds each Write (0: none). A peer that stops reading its socket then
	// fails the writer instead of blocking it forever.
	WriteTimeout time.Duration

	wmu sync.Mutex
	hdr [HeaderSize]byte

	nread, nwritten atomic.Uint64 // bytes through the socket, both ways

	// read side: one goroutine
	buf  []byte
	r, w int
	oob  []byte

	fmu    sync.Mutex // guards fds and closed: Close may run beside the reader
	fds    []int      // received, not yet claimed
	closed bool
}

// NewConn wraps a connected unix stream socket.
func NewConn(uc *net.UnixConn) *Conn {
	return &Conn{uc: uc, buf: make([]byte, 64<<10), oob: make([]byte, unix.CmsgSpace(4*MaxFDs))}
}

// FileConn makes a Conn from a socket descriptor inherited as a file (the driver's fd 3). The
// file is closed; the Conn owns a duplicate.
func FileConn(f *os.File) (*Conn, error) {
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("wire: socket fd: %w", err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("wire: fd is a %T, not a unix socket", c)
	}
	return NewConn(uc), nil
}

// Pair returns two connected Conns (socketpair(AF_UNIX, SOCK_STREAM)) and, for the child end,
// the raw file to hand to a child process. The caller closes childFile after the child started.
func Pair() (host *Conn, childFile *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("wire: socketpair: %w", err)
	}
	hf := os.NewFile(uintptr(fds[0]), "driver-host")
	cf := os.NewFile(uintptr(fds[1]), "driver-child")
	host, err = FileConn(hf)
	if err != nil {
		cf.Close()
		return nil, nil, err
	}
	return host, cf, nil
}

// Bytes returns how many bytes were read from and written to the socket.
func (c *Conn) Bytes() (read, written uint64) { return c.nread.Load(), c.nwritten.Load() }

// SetReadDeadline bounds the next reads (the handshake).
func (c *Conn) SetReadDeadline(t time.Time) error { return c.uc.SetReadDeadline(t) }

// Close closes the socket and any received descriptors no frame claimed.
func (c *Conn) Close() error {
	err := c.uc.Close()
	c.fmu.Lock()
	for _, fd := range c.fds {
		unix.Close(fd)
	}
	c.fds, c.closed = nil, true
	c.fmu.Unlock()
	return err
}

// CloseWrite shuts down the sending half: the peer reads EOF.
func (c *Conn) CloseWrite() error { return c.uc.CloseWrite() }

// Write sends one frame with its descriptors. The descriptors stay owned by the caller (the
// kernel duplicates them into the peer).
func (c *Conn) Write(t Type, body []byte, fds ...int) error {
	if len(body) > MaxBody {
		return fmt.Errorf("wire: %v frame body of %d bytes is over the %d-byte limit", t, len(body), MaxBody)
	}
	if len(fds) > MaxFDs {
		return fmt.Errorf("wire: %v frame with %d descriptors, at most %d", t, len(fds), MaxFDs)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.WriteTimeout > 0 {
		c.uc.SetWriteDeadline(time.Now().Add(c.WriteTimeout))
	}
	binary.LittleEndian.PutUint32(c.hdr[0:], uint32(len(body)))
	binary.LittleEndian.PutUint16(c.hdr[4:], uint16(t))
	c.hdr[6] = byte(len(fds))
	c.hdr[7] = 0
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	// The header and descriptors go in one sendmsg, so the descriptors ride on the frame's
	// first byte; the body follows with plain writes (which loop until done).
	n, _, err := c.uc.WriteMsgUnix(c.hdr[:], oob, nil)
	if err != nil {
		return fmt.Errorf("wire: write %v: %w", t, err)
	}
	if n < HeaderSize {
		if _, err := c.uc.Write(c.hdr[n:]); err != nil {
			return fmt.Errorf("wire: write %v: %w", t, err)
		}
	}
	if len(body) > 0 {
		if _, err := c.uc.Write(body); err != nil {
			return fmt.Errorf("wire: write %v: %w", t, err)
		}
	}
	c.nwritten.Add(uint64(HeaderSize + len(body)))
	return nil
}

// fill reads more bytes (and any descriptors) into the buffer.
func (c *Conn) fill() error {
	if c.r > 0 && c.r == c.w {
		c.r, c.w = 0, 0
	}
	if c.w == len(c.buf) {
		copy(c.buf, c.buf[c.r:c.w])
		c.w -= c.r
		c.r = 0
	}
	n, oobn, flags, _, err := c.uc.ReadMsgUnix(c.buf[c.w:], c.oob)
	if oobn > 0 {
		if perr := c.takeRights(c.oob[:oobn]); perr != nil && err == nil {
			err = perr
		}
	}
	if flags&unix.MSG_CTRUNC != 0 && err == nil {
		err = fmt.Errorf("%w: more than %d descriptors in one message", ErrProtocol, MaxFDs)
	}
	c.w += n
	c.nread.Add(uint64(n))
	if err != nil {
		return err
	}
	if n == 0 {
		return io.EOF
	}
	return nil
}

func (c *Conn) takeRights(oob []byte) error {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return fmt.Errorf("%w: control message: %v", ErrProtocol, err)
	}
	var bad error
	c.fmu.Lock()
	defer c.fmu.Unlock()
	for i := range msgs {
		fds, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			continue // credentials or other control data: ignored
		}
		for _, fd := range fds {
			if c.closed {
				unix.Close(fd) // arrived while closing: nobody will claim it
				continue
			}
			if len(c.fds) >= maxQueuedFDs {
				unix.Close(fd)
				bad = fmt.Errorf("%w: more than %d unclaimed descriptors", ErrProtocol, maxQueuedFDs)
				continue
			}
			c.fds = append(c.fds, fd)
		}
	}
	return bad
}

// need makes at least n bytes available in the buffer (n <= len(buf)).
func (c *Conn) need(n int) error {
	for c.w-c.r < n {
		if err := c.fill(); err != nil {
			if errors.Is(err, io.EOF) && c.w-c.r > 0 {
				return fmt.Errorf("%w: connection closed inside a frame", ErrProtocol)
			}
			return err
		}
	}
	return nil
}

// Read returns the next frame. It returns io.EOF when the peer closed cleanly between frames,
// an error wrapping ErrProtocol for garbage, and os.ErrDeadlineExceeded after a deadline.
func (c *Conn) Read() (Frame, error) {
	if err := c.need(HeaderSize); err != nil {
		return Frame{}, err
	}
	h := c.buf[c.r : c.r+HeaderSize]
	size := binary.LittleEndian.Uint32(h[0:])
	t := Type(binary.LittleEndian.Uint16(h[4:]))
	nfd := int(h[6])
	switch {
	case h[7] != 0:
		return Frame{}, fmt.Errorf("%w: bad frame header % x (reserved byte is %d)", ErrProtocol, h, h[7])
	case size > MaxBody:
		return Frame{}, fmt.Errorf("%w: frame of %d bytes is over the %d-byte limit (header % x)", ErrProtocol, size, MaxBody, h)
	case nfd > MaxFDs:
		return Frame{}, fmt.Errorf("%w: frame declares %d descriptors, at most %d", ErrProtocol, nfd, MaxFDs)
	case !t.known():
		return Frame{}, fmt.Errorf("%w: unknown frame type %d (header % x)", ErrProtocol, uint16(t), h)
	}
	c.r += HeaderSize
	body := make([]byte, size)
	got := copy(body, c.buf[c.r:c.w])
	c.r += got
	for got < int(size) {
		if err := c.need(1); err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("%w: connection closed inside a %v frame", ErrProtocol, t)
			}
			return Frame{}, err
		}
		k := copy(body[got:], c.buf[c.r:c.w])
		c.r += k
		got += k
	}
	c.fmu.Lock()
	defer c.fmu.Unlock()
	if nfd > len(c.fds) {
		return Frame{}, fmt.Errorf("%w: %v frame declares %d descriptors, %d arrived", ErrProtocol, t, nfd, len(c.fds))
	}
	f := Frame{Type: t, Body: body}
	if nfd > 0 {
		f.FDs = append([]int(nil), c.fds[:nfd]...)
		c.fds = append(c.fds[:0], c.fds[nfd:]...)
	}
	return f, nil
}

// IsClosed reports whether err means the connection is gone (EOF, reset, closed).
func IsClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
