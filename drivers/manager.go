package drivers

import (
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orbital/orbital/bus"
)

// State is a driver's lifecycle state.
type State string

const (
	Starting State = "starting" // exec'd, handshake in progress
	Running  State = "running"
	Stopping State = "stopping" // stop requested or failure detected; escalating
	Exited   State = "exited"   // stopped on request, or exited with status 0
	Crashed  State = "crashed"  // crashed, hung, or violated the protocol
	Backoff  State = "backoff"  // waiting to restart after a crash
	Failed   State = "failed"   // refused (digest, handshake) or gave up restarting
)

// Config configures a Manager. Bus is required; zero durations take the defaults.
type Config struct {
	Bus *bus.Bus
	// AllocPID gives a driver its bus address. Default: a counter from FirstPID, so driver pids
	// never collide with the kernel's WASM pids (which count from 1).
	AllocPID func(name string) bus.PID
	// CheckDevice is the device-grant hook: every message a process sends to a driver passes
	// through it (pid of the sender, the driver's Spec.Device). nil allows all.
	CheckDevice func(pid bus.PID, device string) error
	// Peer says who a process sending to a driver is: its module name and its policy's
	// ceilings ("limits.<key>"). Drivers speaking protocol version 2 receive it before the
	// first message of each sender (peer.go). nil: drivers learn only the pid.
	Peer func(pid bus.PID) PeerInfo
	// Audit records a refusal a driver reports (a limit it enforces). nil: logged only.
	Audit func(driver string, pid bus.PID, op, object, reason string)
	// Log receives the drivers' log lines and output (level 0 debug .. 3 error). Default: stderr.
	Log func(driver string, level int, line string)

	HandshakeTimeout time.Duration // default 5 s
	Heartbeat        time.Duration // ping interval; 3 missed = hung (default 1 s)
	StopGrace        time.Duration // after the Stop frame, before SIGTERM (default 2 s)
	TermGrace        time.Duration // after SIGTERM, before SIGKILL (default 2 s)
	WriteTimeout     time.Duration // a socket write blocked this long means hung (default 5 s)
}

// FirstPID is the first bus pid the default allocator gives a driver.
const FirstPID bus.PID = 1 << 20

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.HandshakeTimeout, 5*time.Second)
	def(&c.Heartbeat, time.Second)
	def(&c.StopGrace, 2*time.Second)
	def(&c.TermGrace, 2*time.Second)
	def(&c.WriteTimeout, 5*time.Second)
	if c.Log == nil {
		c.Log = func(d string, level int, line string) { fmt.Fprintf(os.Stderr, "driver %s: %s\n", d, line) }
	}
	return c
}

// Manager starts, supervises and stops native drivers.
type Manager struct {
	cfg     Config
	nextPID atomic.Uint32

	spawnOnce sync.Once
	spawner   *spawner

	netnsOnce sync.Once
	netnsOK   atomic.Bool

	mu      sync.Mutex
	drivers map[string]*Driver
	closed  bool
}

// NewManager returns a manager; it starts nothing until Start.
func NewManager(cfg Config) *Manager {
	m := &Manager{cfg: cfg.withDefaults(), drivers: map[string]*Driver{}}
	m.nextPID.Store(uint32(FirstPID) - 1)
	return m
}

func (m *Manager) logf(driver string, level int, format string, args ...any) {
	m.cfg.Log(driver, level, fmt.Sprintf(format, args...))
}

func (m *Manager) netnsUsable() bool {
	m.netnsOnce.Do(func() { m.netnsOK.Store(true) })
	return m.netnsOK.Load()
}

func (m *Manager) netnsFailed(err error) {
	if m.netnsOK.Swap(false) {
		m.logf("-", 2, "drivers run without a private network namespace: %v", err)
	}
}

func (m *Manager) allocPID(name string) bus.PID {
	if m.cfg.AllocPID != nil {
		return m.cfg.AllocPID(name)
	}
	return bus.PID(m.nextPID.Add(1))
}

// Start verifies and starts the driver, waits for its handshake and supervises it from then
// on. A driver that cannot start (digest mismatch, no handshake, crash before the handshake)
// returns an error and is left in the list as failed, with the reason.
func (m *Manager) Start(spec Spec) (*Driver, error) {
	spec = spec.withDefaults()
	if err := spec.validate(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	if d, ok := m.drivers[spec.Name]; ok && !d.Info().State.done() {
		m.mu.Unlock()
		return nil, fmt.Errorf("driver %s: %w (bus %v)", spec.Name, ErrExists, d.pid)
	}
	d := &Driver{m: m, spec: spec, pid: m.allocPID(spec.Name), stopCh: make(chan struct{}), done: make(chan struct{})}
	d.info = Info{Name: spec.Name, Version: spec.Version, Device: spec.Device, Digest: spec.Digest, Path: spec.Path, PID: d.pid, State: Starting, Restart: spec.Restart.Policy}
	m.drivers[spec.Name] = d
	m.mu.Unlock()
	m.spawnOnce.Do(func() { m.spawner = newSpawner() })

	in, err := m.launch(spec, d.pid)
	if err != nil {
		d.mu.Lock()
		d.info.State, d.info.Reason = Failed, err.Error()
		d.mu.Unlock()
		close(d.done)
		return d, err
	}
	d.attach(in)
	go d.supervise(in)
	return d, nil
}

// Get returns the driver named name.
func (m *Manager) Get(name string) (*Driver, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.drivers[name]
	return d, ok
}

// Stop stops the named driver and waits until its process is gone.
func (m *Manager) Stop(name string) error {
	d, ok := m.Get(name)
	if !ok {
		return fmt.Errorf("driver %s: %w", name, ErrNotFound)
	}
	d.Stop()
	return nil
}

// List returns every driver's row, sorted by name.
func (m *Manager) List() []Info {
	m.mu.Lock()
	ds := make([]*Driver, 0, len(m.drivers))
	for _, d := range m.drivers {
		ds = append(ds, d)
	}
	m.mu.Unlock()
	out := make([]Info, len(ds))
	for i, d := range ds {
		out[i] = d.Info()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Close stops every driver, waits for them and ends the spawner thread. Twice is harmless.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	ds := make([]*Driver, 0, len(m.drivers))
	for _, d := range m.drivers {
		ds = append(ds, d)
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Add(1)
		go func() { defer wg.Done(); d.Stop() }()
	}
	wg.Wait()
	m.spawnOnce.Do(func() {})
	if m.spawner != nil {
		m.spawner.close()
	}
}

// WriteList prints drivers as a table (the `orbital drivers` listing).
func WriteList(w io.Writer, rows []Info) {
	fmt.Fprintf(w, "%-14s %-9s %-9s %-8s %-8s %-8s %s\n", "NAME", "VERSION", "STATE", "BUS", "OS-PID", "RESTARTS", "REASON / ISOLATION")
	for _, r := range rows {
		ospid := "-"
		if r.OSPID > 0 {
			ospid = fmt.Sprint(r.OSPID)
		}
		detail := r.Reason
		if detail == "" && len(r.Isolation) > 0 {
			detail = fmt.Sprint(r.Isolation)
		}
		fmt.Fprintf(w, "%-14s %-9s %-9s %-8d %-8s %-8d %s\n", r.Name, r.Version, r.State, r.PID, ospid, r.Restarts, detail)
	}
}
