package gpu

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orbital/orbital/drivers/driverkit"
)

// Options configure a Service (the driver's arguments). Zero values take the defaults.
type Options struct {
	Memory        int64         // GPU memory per process when its policy sets none (256 MiB)
	Rate          int           // dispatches and draws per second per process (240)
	Budget        time.Duration // time one dispatch or draw may take (2 s)
	FirstRun      time.Duration // added to a program's first run in a context, which compiles its machine code (5 s)
	CompileBudget time.Duration // time a compile, buffer or copy may take (20 s)
	StartTimeout  time.Duration // a worker's start, until its context is up (20 s)
	MaxClients    int           // processes served at once, each with its own worker (8)
	Backend       string        // the GL backend workers open ("" tries them in order)
	WorkerPath    string        // the executable run as a worker (/proc/self/exe)
	WorkerArgs    []string      // its arguments (["--worker"])
}

// Ceilings a policy may not exceed, whatever it says.
const (
	maxMemory = 4 << 30
	maxRate   = 10000
	maxBudget = time.Minute
)

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Memory <= 0 {
		o.Memory = 256 << 20
	}
	if o.Rate <= 0 {
		o.Rate = 240
	}
	def(&o.Budget, 2*time.Second)
	def(&o.FirstRun, 5*time.Second)
	def(&o.CompileBudget, 20*time.Second)
	def(&o.StartTimeout, 20*time.Second)
	if o.MaxClients <= 0 {
		o.MaxClients = 8
	}
	if o.WorkerPath == "" {
		o.WorkerPath = "/proc/self/exe"
	}
	if o.WorkerArgs == nil {
		o.WorkerArgs = []string{"--worker"}
	}
	return o
}

// Service is the GPU driver's logic on top of a driverkit connection. Its loop (Run) checks
// and queues requests; each client's runner goroutine runs them on the client's worker.
type Service struct {
	d     *driverkit.Driver
	o     Options
	epoch uint64 // high bits of every handle: a handle from an earlier driver process is lost, not unknown
	spawn spawner

	info    Info  // from the probe worker
	infoErr error // why there is no GPU

	mu      sync.Mutex
	clients map[uint32]*client
	next    uint64
	dirty   atomic.Bool // usage changed since the last report
}

// NewService serves GPU requests on d.
func NewService(d *driverkit.Driver, o Options) *Service {
	var b [4]byte
	rand.Read(b[:])
	epoch := uint64(binary.LittleEndian.Uint32(b[:])&0xfffff | 1) // 20 bits: handles stay below 2^53 in JSON
	return &Service{d: d, o: o.withDefaults(), epoch: epoch, clients: map[uint32]*client{}}
}

// Run probes the GPU, subscribes to the gpu.* topics and serves until the kernel stops the
// driver; then every worker is killed.
func (s *Service) Run() error {
	if w, err := s.startWorker(); err != nil {
		s.infoErr = err
		s.d.Logf(3, "gpu: no GPU context, every request will say so: %v", err)
	} else {
		s.info = w.info
		w.close(2 * time.Second)
		s.d.Logf(1, "gpu: %s, OpenGL %s, through %s (robust access %v)", s.info.Renderer, s.info.Version, s.info.Backend, s.info.Robust)
	}
	for _, t := range Topics {
		if _, err := s.d.Subscribe(t, driverkit.Reliable); err != nil {
			return err
		}
	}
	defer s.closeAll()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.d.Stopping():
			return nil
		case <-tick.C:
			s.report()
		case m, ok := <-s.d.Messages():
			if !ok {
				return nil
			}
			switch m.Kind {
			case driverkit.KindPeerGone:
				s.drop(m.From)
			case driverkit.KindRequest:
				s.handle(m)
			default:
				closeRegions(m.Regions)
			}
		}
	}
}

// handle answers one request or queues its work.
func (s *Service) handle(m driverkit.Message) {
	defer closeRegions(m.Regions) // a queued task holds duplicates of their descriptors
	c, st := s.client(m)
	if st.Code != 0 {
		s.reply(m.Corr, st)
		return
	}
	if ans := c.request(m); ans != nil {
		s.reply(m.Corr, ans)
	}
}

func (s *Service) reply(corr uint64, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"error":"gpu: encode reply","code":-13}`)
	}
	s.d.Reply(corr, b)
}

// client finds or makes the requester's client; a new one beyond MaxClients is refused.
func (s *Service) client(m driverkit.Message) (*client, Status) {
	if s.infoErr != nil {
		return nil, Status{Code: CodeInternal, Error: "gpu: this driver has no GPU context: " + s.infoErr.Error()}
	}
	s.mu.Lock()
	c := s.clients[m.From]
	if c == nil && len(s.clients) < s.o.MaxClients {
		c = newClient(s, m.From)
		s.clients[m.From] = c
	}
	s.mu.Unlock()
	if c == nil {
		why := "the GPU driver serves at most " + itoa(s.o.MaxClients) + " processes at once (driver argument --clients)"
		s.d.Audit(m.From, "gpu.clients", m.Topic, why)
		return nil, Status{Code: CodeLimit, Error: "gpu: " + why}
	}
	c.setPeer(m.Peer)
	return c, Status{}
}

// drop forgets a process that left the bus: its work stops and its worker is killed.
func (s *Service) drop(pid uint32) {
	s.mu.Lock()
	c := s.clients[pid]
	delete(s.clients, pid)
	s.mu.Unlock()
	if c != nil {
		c.stop()
		s.dirty.Store(true)
	}
}

func (s *Service) closeAll() {
	s.mu.Lock()
	all := s.clients
	s.clients = map[uint32]*client{}
	s.mu.Unlock()
	for _, c := range all {
		c.stop()
	}
}

// handle makes a new handle for a shader, buffer or job.
func (s *Service) handleID() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	return s.epoch<<32 | s.next
}

// report sends the usage table to the kernel when it changed.
func (s *Service) report() {
	if !s.dirty.Swap(false) {
		return
	}
	s.mu.Lock()
	var rows []driverkit.UsageRow
	for pid, c := range s.clients {
		u := c.usage()
		rows = append(rows, driverkit.UsageRow{PID: pid, Values: map[string]int64{
			"gpu_memory": u.Memory, "shaders": int64(u.Shaders), "dispatches": int64(u.Dispatches), "draws": int64(u.Draws),
			"gpu_ms": int64(u.GPUTimeMS), "refused": int64(u.Refused), "abandoned": int64(u.Abandoned), "lost": int64(u.Lost)}})
	}
	s.mu.Unlock()
	sort.Slice(rows, func(i, j int) bool { return rows[i].PID < rows[j].PID })
	s.d.ReportUsage(rows)
}

func (c *client) usage() Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.use
	u.Memory = c.memory()
	u.Shaders = len(c.shaders)
	return u
}

// Policy keys of the GPU limits (policies' [limits] table), as the kernel passes them.
const (
	LimitMemory     = "limits.gpu_memory"
	LimitDispatches = "limits.gpu_dispatches"
	LimitBudget     = "limits.gpu_budget"
)

func (s *Service) defaultLimits() limits {
	return limits{memory: s.o.Memory, rate: s.o.Rate, budget: s.o.Budget}
}

// limitsFor is a process's limits: its policy's where set, the driver's defaults otherwise,
// never above the driver's ceilings.
func (s *Service) limitsFor(p map[string]int64) limits {
	l := s.defaultLimits()
	if v := p[LimitMemory]; v > 0 {
		l.memory = min(v, maxMemory)
	}
	if v := p[LimitDispatches]; v > 0 {
		l.rate = int(min(v, maxRate))
	}
	if v := p[LimitBudget]; v > 0 {
		l.budget = min(time.Duration(v), maxBudget)
	}
	return l
}

func itoa(n int) string { return strconv.Itoa(n) }
