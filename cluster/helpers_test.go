package cluster

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
)

// fakeHost is a Host over a bare bus, with fixed resources.
type fakeHost struct {
	b       *bus.Bus
	drivers []string
	modules []string
	always  []string
	svcs    []string
	memFree int64

	mu       sync.Mutex
	spawned  []SpawnRequest
	procs    []*fakeProc
	failover []string
	released []string
	bound    map[bus.PID]string
}

func newFakeHost() *fakeHost {
	return &fakeHost{b: bus.New(bus.Config{}), memFree: 1 << 30, bound: map[bus.PID]string{}}
}

func (h *fakeHost) Bus() *bus.Bus { return h.b }
func (h *fakeHost) Snapshot() Announcement {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Announcement{Cores: 2, MemTotal: 4 << 30, MemFree: h.memFree, Drivers: h.drivers, Modules: h.modules,
		Always: h.always, Services: h.svcs, Procs: []Proc{{PID: 1, Name: "ponger", State: "running"}}}
}
func (h *fakeHost) ModuleName(pid bus.PID) string { return "mod" }
func (h *fakeHost) Bind(pid bus.PID, module string) error {
	h.mu.Lock()
	h.bound[pid] = module
	h.mu.Unlock()
	return nil
}
func (h *fakeHost) Unbind(pid bus.PID) {
	h.mu.Lock()
	delete(h.bound, pid)
	h.mu.Unlock()
}
func (h *fakeHost) Spawn(ctx context.Context, req SpawnRequest, fetch Fetcher) (Started, error) {
	if req.Module == "unsigned" {
		return Started{}, errors.New("registry: unsigned package")
	}
	if fetch != nil {
		if _, err := fetch(ctx, req.Module, req.Version); err != nil {
			return Started{}, err
		}
	}
	p := &fakeProc{done: make(chan struct{}), stops: make(chan bool, 4)}
	h.mu.Lock()
	h.spawned = append(h.spawned, req)
	h.procs = append(h.procs, p)
	h.mu.Unlock()
	return Started{PID: 42, Done: p.done, Exit: func() (int, string) { return 7, "exited seven" }, Stop: func(f bool) { p.stops <- f }}, nil
}

// fakeProc is a process a fakeHost started: it ends when the test closes done.
type fakeProc struct {
	done  chan struct{}
	stops chan bool
}

func (h *fakeHost) lastProc() *fakeProc {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.procs) == 0 {
		return nil
	}
	return h.procs[len(h.procs)-1]
}
func (h *fakeHost) Package(name, version string) ([]byte, error) { return []byte("pkg:" + name), nil }
func (h *fakeHost) Describe(name string) (string, string)        { return "1.0.0", "sha256:00" }
func (h *fakeHost) Release(name string) error {
	h.mu.Lock()
	h.released = append(h.released, name)
	h.mu.Unlock()
	return nil
}

func (h *fakeHost) Failover(ctx context.Context, name string) error {
	h.mu.Lock()
	h.failover = append(h.failover, name)
	h.mu.Unlock()
	return nil
}

// Test timings: short, but with room for a loaded machine (a member silent for testLost is
// lost). Benchmarks use the defaults: a flood must not starve announcements into a loss.
// testLost is the default's 3 s: with 1 s, a 7 MiB message under the race detector on a
// loaded machine held node a's announcements behind it long enough for b to mark a lost and
// refuse the message (TestOutboxOrder in CI; with 3 s too beside other tests, so that test
// takes a minute).
var (
	testAnnounce = 200 * time.Millisecond
	testLost     = 3 * time.Second
)

// startNode starts a node named name with a fresh home; listen and join as the flags.
func startNode(t testing.TB, name, listen, join string, h *fakeHost) *Node {
	t.Helper()
	n, err := tryNode(t, name, listen, join, h)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func tryNode(t testing.TB, name, listen, join string, h *fakeHost) (*Node, error) {
	t.Helper()
	return tryConfig(t, Config{Name: name, Listen: listen, Join: join, Host: h})
}

// tryConfig starts a node of cfg with a fresh home, the test timings (unless cfg sets its
// own) and the test's log.
func tryConfig(t testing.TB, cfg Config) (*Node, error) {
	t.Helper()
	if _, bench := t.(*testing.B); !bench { // benchmarks run on the defaults
		cfg.Announce = cmp.Or(cfg.Announce, testAnnounce)
		cfg.Lost = cmp.Or(cfg.Lost, testLost)
	}
	cfg.Home = t.TempDir()
	cfg.Log = func(f string, a ...any) { t.Logf(cfg.Name+": "+f, a...) }
	n, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := n.Start(context.Background()); err != nil {
		return nil, err
	}
	t.Cleanup(n.Close)
	return n, nil
}

// upNodes reports whether n sees want nodes up (itself included).
func upNodes(n *Node, want int) bool {
	up := 0
	for _, i := range n.Nodes() {
		if i.State == "up" {
			up++
		}
	}
	return up == want
}

func (h *fakeHost) spawns() []SpawnRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]SpawnRequest(nil), h.spawned...)
}

// waitUp waits until each of nodes sees want nodes up.
func waitUp(t testing.TB, want int, nodes ...*Node) {
	t.Helper()
	for _, n := range nodes {
		testenv.Eventually(t, func() bool { return upNodes(n, want) }, 10*time.Second, "node %s sees %d up", n.Name(), want)
	}
}
