package drivertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers"
)

// ClientPID is the bus address of the harness's own test client.
const ClientPID bus.PID = 1

// Harness is a bus, a driver manager and a client process attached to the bus.
type Harness struct {
	T       testing.TB
	Bus     *bus.Bus
	Manager *drivers.Manager
	Inbox   *bus.Inbox // the client's inbox

	mu   sync.Mutex
	logs []string
}

// Options adjusts the manager's configuration for a test (short timeouts, a device check).
type Options func(*drivers.Config)

// New returns a harness. Timeouts default short (handshake 5 s, heartbeat 500 ms, stop grace
// 500 ms) so failure tests run quickly. At cleanup it closes the manager and fails the test if
// a driver process or a memfd of this process outlived it.
func New(t testing.TB, opts ...Options) *Harness {
	t.Helper()
	baseFDs := MemFDs(t)
	h := &Harness{T: t, Bus: bus.New(bus.Config{})}
	cfg := drivers.Config{
		Bus:              h.Bus,
		HandshakeTimeout: 5 * time.Second,
		Heartbeat:        500 * time.Millisecond,
		StopGrace:        500 * time.Millisecond,
		TermGrace:        500 * time.Millisecond,
		Log: func(d string, level int, line string) {
			h.mu.Lock()
			h.logs = append(h.logs, d+": "+line)
			h.mu.Unlock()
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	h.Manager = drivers.NewManager(cfg)
	in, err := h.Bus.Attach(ClientPID, bus.InboxLimits{})
	if err != nil {
		t.Fatal(err)
	}
	h.Inbox = in
	t.Cleanup(func() {
		h.Manager.Close()
		h.Bus.Detach(ClientPID)
		if kids := Children(t); len(kids) > 0 {
			t.Errorf("drivertest: child processes left after shutdown: %v", kids)
		}
		if n := MemFDs(t); n > baseFDs {
			t.Errorf("drivertest: %d memfds open after shutdown, %d before", n, baseFDs)
		}
		if log := strings.Join(h.Logs(), "\n"); strings.Contains(log, "WARNING: DATA RACE") {
			t.Errorf("drivertest: the race detector found a data race in a driver")
		}
		if t.Failed() {
			t.Logf("driver log:\n%s", strings.Join(h.Logs(), "\n"))
		}
	})
	return h
}

// Logs returns the lines drivers logged so far.
func (h *Harness) Logs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.logs...)
}

// Start starts spec and fails the test if it does not start.
func (h *Harness) Start(spec drivers.Spec) *drivers.Driver {
	h.T.Helper()
	d, err := h.Manager.Start(spec)
	if err != nil {
		h.T.Fatalf("drivertest: start %s: %v", spec.Name, err)
	}
	return d
}

// Request sends a request from the client and returns the reply.
func (h *Harness) Request(topic string, payload []byte, timeout time.Duration) (bus.Message, error) {
	return h.Bus.Request(context.Background(), bus.Message{From: ClientPID, Topic: topic, Payload: payload}, timeout)
}

// Subscribe subscribes the client to pattern.
func (h *Harness) Subscribe(pattern string, mode bus.Mode) uint32 {
	h.T.Helper()
	id, err := h.Bus.Subscribe(ClientPID, pattern, mode)
	if err != nil {
		h.T.Fatalf("drivertest: subscribe %q: %v", pattern, err)
	}
	return id
}

// Next returns the client's next message, failing the test after timeout.
func (h *Harness) Next(timeout time.Duration) bus.Message {
	h.T.Helper()
	m, err := h.Inbox.RecvTimeout(context.Background(), timeout)
	if err != nil {
		h.T.Fatalf("drivertest: no message within %v: %v", timeout, err)
	}
	return m
}

// Release drops the client's handles on a message's regions.
func (h *Harness) Release(m bus.Message) {
	for _, a := range m.Regions {
		h.Bus.RegionRelease(ClientPID, a.Handle)
	}
}

// WaitFor polls until cond holds for the driver's row, failing after timeout.
func (h *Harness) WaitFor(d *drivers.Driver, what string, timeout time.Duration, cond func(drivers.Info) bool) drivers.Info {
	h.T.Helper()
	deadline := time.Now().Add(timeout)
	for {
		i := d.Info()
		if cond(i) {
			return i
		}
		if time.Now().After(deadline) {
			h.T.Fatalf("drivertest: driver %s: not %s within %v; now %+v", i.Name, what, timeout, i)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var (
	buildMu sync.Mutex
	builds  = map[string]string{}
)

// Build compiles the driver's main package (an import path) for this platform once per test
// binary, as a static executable without cgo, and returns its path and its digest
// ("sha256:...").
func Build(t testing.TB, pkg string) (path, digest string) {
	t.Helper()
	return build(t, pkg, false)
}

// BuildCgo is Build for a driver that links C libraries (the GPU driver: EGL and GL). Under
// the race detector the driver is built with it too, and a race in it crashes the driver.
func BuildCgo(t testing.TB, pkg string) (path, digest string) {
	t.Helper()
	return build(t, pkg, true)
}

func build(t testing.TB, pkg string, cgo bool) (path, digest string) {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	p, ok := builds[pkg]
	if !ok {
		dir, err := os.MkdirTemp("", "orbital-drivertest-")
		if err != nil {
			t.Fatal(err)
		}
		p = filepath.Join(dir, filepath.Base(pkg))
		args := []string{"build", "-o", p}
		if cgo && race {
			args = append(args, "-race") // the driver's own goroutines are checked too
		}
		cmd := exec.Command("go", append(args, pkg)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if cgo {
			cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("drivertest: go build %s: %v\n%s", pkg, err, out)
		}
		builds[pkg] = p
	}
	d, err := drivers.FileDigest(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, d
}

// Children lists the pids of this process's live children (from /proc).
func Children(t testing.TB) []int {
	t.Helper()
	self := os.Getpid()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("drivertest: /proc: %v", err)
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, state, ok := procStat(pid); ok && ppid == self && state != "Z" {
			out = append(out, pid)
		}
	}
	return out
}

// procStat returns the parent pid and state letter of pid from /proc/<pid>/stat.
func procStat(pid int) (ppid int, state string, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, "", false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, "", false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, "", false
	}
	ppid, err = strconv.Atoi(f[1])
	return ppid, f[0], err == nil
}

// Alive reports whether pid exists and is not a zombie.
func Alive(pid int) bool {
	_, state, ok := procStat(pid)
	return ok && state != "Z"
}

// ProcessGroup lists live processes whose process group is pgid.
func ProcessGroup(pgid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			out = append(out, pid)
		}
	}
	return out
}

// MemFDs counts this process's open memfd descriptors (/proc/self/fd links to "/memfd:...").
func MemFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("drivertest: /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "/memfd:") {
			n++
		}
	}
	return n
}
