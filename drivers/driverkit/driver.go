package driverkit

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orbital/orbital/drivers/wire"
)

// Message is a bus message delivered to the driver. Regions are mapped views of the regions
// attached to it; the receiver must Close each one.
type Message struct {
	Kind    uint32 // 1 direct, 2 publish, 3 request, 4 reply (docs/abi.md)
	From    uint32
	Topic   string
	Corr    uint64 // answer a request with Reply(Corr, ...)
	Sent    int64
	Payload []byte
	Regions []*Region
	// Peer is what the kernel said about the sender (protocol v2; nil otherwise), as it stood
	// when this message arrived.
	Peer *Peer
}

// Message kinds.
const (
	KindDirect  = 1
	KindPublish = 2
	KindRequest = 3
	KindReply   = 4
	// KindPeerGone is not a bus message: the kernel says that process From, which sent the
	// driver messages, left the bus (ended or was killed). Free what it held.
	KindPeerGone = 100
)

// Peer is a process that sends the driver messages: its module name and the ceilings its
// policy sets ("limits.gpu_memory" -> bytes; absent when unset).
type Peer struct {
	PID    uint32
	Name   string
	Limits map[string]int64
}

// Attach names a region to send with a message and the rights the receiver gets.
type Attach struct {
	Region *Region
	Rights uint32 // 1 read, 2 write
}

// Error is a failure the host reported for an operation: Code is the ABI error code.
type Error struct {
	Op   string
	Code int32
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("driverkit: %s: %s (code %d)", e.Op, e.Msg, e.Code)
}

// ErrNotStarted is returned by Start when the program was not started by an Orbital kernel.
var ErrNotStarted = errors.New("driverkit: this program is an Orbital driver; the orbital kernel starts it (install it with `orbital install` and run `orbital drivers`), it does nothing when run by hand")

// Driver is the connection of a running driver to its kernel.
type Driver struct {
	conn    *wire.Conn
	proto   uint32
	pid     uint32
	args    []string
	hbEvery time.Duration

	seq     atomic.Uint64
	nextRID atomic.Uint32

	mu      sync.Mutex
	pending map[uint64]chan reply
	closed  bool
	peers   map[uint32]*Peer // read loop only

	msgs     chan Message
	stopping chan struct{}
	stopOnce sync.Once
	stopWhy  atomic.Pointer[string]
	readDone chan struct{}

	pubErrs atomic.Uint64
	lastErr atomic.Pointer[string]
}

type reply struct {
	res *wire.Result
	msg *Message
}

// Start performs the handshake with the kernel that started this process. name and version are
// the driver's own (they appear in the kernel log).
func Start(name, version string) (*Driver, error) {
	if os.Getenv(wire.EnvCookie) != wire.CookieValue {
		return nil, ErrNotStarted
	}
	proto := uint32(0) // the newest version both sides speak
	for _, s := range strings.Split(os.Getenv(wire.EnvProtocols), ",") {
		if v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32); err == nil && v >= wire.MinVersion && v <= wire.Version && uint32(v) > proto {
			proto = uint32(v)
		}
	}
	if proto == 0 {
		return nil, fmt.Errorf("driverkit: the kernel speaks protocol versions %q, this driver speaks %d: upgrade the driver or the kernel", os.Getenv(wire.EnvProtocols), wire.Version)
	}
	fdn, err := strconv.Atoi(os.Getenv(wire.EnvFD))
	if err != nil || fdn < 3 {
		return nil, fmt.Errorf("driverkit: %s=%q is not a descriptor number", wire.EnvFD, os.Getenv(wire.EnvFD))
	}
	conn, err := wire.FileConn(os.NewFile(uintptr(fdn), "orbital-driver-socket"))
	if err != nil {
		return nil, err
	}
	hello := wire.Hello{Cookie: wire.CookieValue, Protocol: proto, Name: name, Version: version}
	if err := conn.Write(wire.THello, hello.Encode()); err != nil {
		conn.Close()
		return nil, fmt.Errorf("driverkit: handshake: %w", err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	f, err := conn.Read()
	conn.SetReadDeadline(time.Time{})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("driverkit: handshake: %w", err)
	}
	defer f.CloseFDs()
	switch f.Type {
	case wire.TWelcome:
	case wire.TReject:
		var t wire.Text
		t.Decode(f.Body)
		conn.Close()
		return nil, fmt.Errorf("driverkit: the kernel refused the handshake: %s", t.Text)
	default:
		conn.Close()
		return nil, fmt.Errorf("driverkit: handshake: expected welcome, got %v", f.Type)
	}
	var w wire.Welcome
	if err := w.Decode(f.Body); err != nil {
		conn.Close()
		return nil, fmt.Errorf("driverkit: handshake: %w", err)
	}
	d := &Driver{
		conn: conn, proto: w.Protocol, pid: w.PID, peers: map[uint32]*Peer{}, args: w.Args, hbEvery: time.Duration(w.HeartbeatMS) * time.Millisecond,
		pending: map[uint64]chan reply{}, msgs: make(chan Message, 64),
		stopping: make(chan struct{}), readDone: make(chan struct{}),
	}
	go d.readLoop()
	return d, nil
}

// Protocol is the protocol version the kernel and the driver agreed on.
func (d *Driver) Protocol() uint32 { return d.proto }

// PID is the driver's address on the bus.
func (d *Driver) PID() uint32 { return d.pid }

// Args are the arguments the kernel passed in the handshake (from the manifest or the CLI).
func (d *Driver) Args() []string { return slices.Clone(d.args) }

// Messages delivers bus messages addressed to the driver. It is closed when the connection ends.
func (d *Driver) Messages() <-chan Message { return d.msgs }

// Stopping is closed when the kernel asks the driver to stop, or the connection is gone.
func (d *Driver) Stopping() <-chan struct{} { return d.stopping }

// StopReason says why Stopping was closed.
func (d *Driver) StopReason() string {
	if s := d.stopWhy.Load(); s != nil {
		return *s
	}
	return ""
}

func (d *Driver) stop(why string) {
	d.stopOnce.Do(func() {
		d.stopWhy.Store(&why)
		close(d.stopping)
	})
}

// PublishErrors counts publishes the host refused (denied, too big) and returns the last reason.
// A publish nobody subscribes to is not an error.
func (d *Driver) PublishErrors() (uint64, string) {
	s := ""
	if p := d.lastErr.Load(); p != nil {
		s = *p
	}
	return d.pubErrs.Load(), s
}

// Close ends the connection. The kernel sees the socket close, and the process should exit.
func (d *Driver) Close() error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	err := d.conn.Close()
	<-d.readDone
	return err
}

// Logf sends one line to the kernel log (level 0 debug .. 3 error).
func (d *Driver) Logf(level int, format string, args ...any) {
	t := wire.Text{Level: uint32(level), Text: fmt.Sprintf(format, args...)}
	d.conn.Write(wire.TLog, t.Encode())
}
