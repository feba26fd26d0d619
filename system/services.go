package system

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/registry"
)

// Services by name (docs/design/services.md). The instance's dispatcher answers every call
// "NAME.method", from a guest's call host function or from the instance itself (Call: an HTTP
// route, `orbital call`). It keeps a pool per installed service: instances = N slots, each a
// supervisor unit ("weather", "weather#2", ...), so a slot has the module's restart policy,
// backoff and crash-loop stop like any supervised module. A call
//
//  1. finds the pool (the newest installed version's manifest must say kind = "service");
//  2. takes the slot with the fewest calls in flight among those whose process runs (after the
//     last one picked, among equals, so calls in a row spread too); when none runs it starts
//     one and waits for it, and the other slots start in the background;
//  3. delivers the call to that process (kernel.CallProcess: never waiting for room, so a
//     storm is refused with ERR_FULL, not queued) and waits for the reply;
//  4. counts it off the slot and re-arms the pool's idle timer: after idle_timeout without
//     calls the pool's processes get a quit request, and the next call starts them again.
//
// A slot takes at most maxQueued calls at once: past that on every slot, ErrFull at once.

// maxQueued bounds the calls in flight on one process of a service.
const maxQueued = 64

// serviceSpec is what a pool needs of the service's manifest.
type serviceSpec struct {
	instances int
	idle      time.Duration // 0: never stopped for being idle
	restart   string
}

// services is the instance's kernel.Services.
type services struct {
	sup     *supervisor
	resolve func(name string) (serviceSpec, error)                                       // the installed service
	call    func(ctx context.Context, p proc, c kernel.ServiceCall) (bus.Message, error) // kernel.Process.Call

	mu     sync.Mutex
	pools  map[string]*pool
	closed bool
}

// pool is one service's slots; guarded by services.mu.
type pool struct {
	name    string
	spec    serviceSpec
	slots   []*slot
	next    int // where the next pick starts among equals
	lastUse time.Time
	timer   *time.Timer // the idle check; nil when not armed
}

// slot is one instance of a service; guarded by services.mu.
type slot struct {
	u        *unit
	proc     proc // its running process, as this dispatcher last saw it; nil: none
	queued   int  // calls delivered to proc and not yet answered
	draining bool // stopped for being idle: no new calls until it has ended
	waking   bool // a background start is under way
	retryAt  time.Time
}

func newServices(sup *supervisor, resolve func(string) (serviceSpec, error),
	call func(context.Context, proc, kernel.ServiceCall) (bus.Message, error)) *services {
	return &services{sup: sup, resolve: resolve, call: call, pools: map[string]*pool{}}
}

var errClosing = fmt.Errorf("%w: the instance is closing", kernel.ErrServiceCrashed)

// Call delivers c to one process of c.Service, starting one if none runs.
func (s *services) Call(ctx context.Context, c kernel.ServiceCall) (bus.Message, error) {
	p, err := s.pool(c.Service)
	if err != nil {
		return bus.Message{}, err
	}
	for tries := 0; ; tries++ {
		sl, pr, err := s.acquire(ctx, p, c.Timeout)
		if err != nil {
			return bus.Message{}, err
		}
		rep, err := s.call(ctx, pr, c)
		s.release(p, sl)
		if errors.Is(err, bus.ErrNotFound) && tries < 2 {
			continue // the process ended before the call reached it: another one takes it
		}
		return rep, err
	}
}

// pool returns the pool of name, made on its first call.
func (s *services) pool(name string) (*pool, error) {
	s.mu.Lock()
	p := s.pools[name]
	closed := s.closed
	s.mu.Unlock()
	switch {
	case closed:
		return nil, errClosing
	case p != nil:
		return p, nil
	}
	spec, err := s.resolve(name)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p = s.pools[name]; p == nil {
		p = &pool{name: name}
		s.resize(p, spec)
		s.pools[name] = p
	}
	return p, nil
}

// resize applies spec to p, adding slots up to its instances (s.mu held). Slots past a smaller
// count are kept but get no calls and are not started.
func (s *services) resize(p *pool, spec serviceSpec) {
	p.spec = spec
	for i := len(p.slots); i < spec.instances; i++ {
		name := p.name
		if i > 0 {
			name = fmt.Sprintf("%s#%d", p.name, i+1)
		}
		p.slots = append(p.slots, &slot{u: s.sup.unitFor(name, p.name, spec.restart)})
	}
}

// acquire picks the slot for one call and counts the call on it, starting a process when
// none runs (waiting at most timeout, > 0, for it).
func (s *services) acquire(ctx context.Context, p *pool, timeout time.Duration) (*slot, proc, error) {
	var deadline time.Time
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, nil, errClosing
		}
		sl, full := p.pickLocked()
		if sl != nil {
			sl.queued++
			pr := sl.proc
			wake := s.idleSlotsLocked(p)
			s.sup.wg.Add(len(wake)) // under s.mu, checked against closed: close waits for them
			s.mu.Unlock()
			for _, w := range wake {
				go s.wake(p, w)
			}
			return sl, pr, nil
		}
		s.mu.Unlock()
		if full {
			return nil, nil, fmt.Errorf("%s: %w: every instance has %d calls in flight", p.name, bus.ErrFull, maxQueued)
		}
		if deadline.IsZero() && timeout > 0 { // from here on the call may wait: bound it
			deadline = time.Now().Add(timeout)
		}
		if err := s.startBefore(ctx, p, deadline); err != nil {
			return nil, nil, err
		}
	}
}

// startBefore is startOne by deadline (zero: ctx alone bounds it).
func (s *services) startBefore(ctx context.Context, p *pool, deadline time.Time) error {
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	return s.startOne(ctx, p)
}

// pickLocked returns the slot with the fewest calls in flight among those whose process runs,
// the first after p.next among equals; full when every running one is at maxQueued.
func (p *pool) pickLocked() (best *slot, full bool) {
	n := min(len(p.slots), p.spec.instances)
	bi := -1
	for k := range n {
		i := (p.next + k) % n
		sl := p.slots[i]
		if sl.proc != nil && isDone(sl.proc.Done()) {
			sl.proc = nil // it ended; the supervisor restarts it or the next start does
		}
		if sl.proc == nil || sl.draining {
			continue
		}
		if sl.queued >= maxQueued {
			full = true
			continue
		}
		if best == nil || sl.queued < best.queued {
			best, bi = sl, i
		}
	}
	if best != nil {
		p.next = (bi + 1) % n
		full = false
	}
	return best, full
}

// idleSlotsLocked marks and returns the slots that should start in the background: no process,
// not stopping, not already starting, not right after a failed start.
func (s *services) idleSlotsLocked(p *pool) []*slot {
	var out []*slot
	now := time.Time{}
	for _, sl := range p.slots[:min(len(p.slots), p.spec.instances)] {
		if sl.proc != nil || sl.draining || sl.waking {
			continue
		}
		if now.IsZero() {
			now = time.Now()
		}
		if now.Before(sl.retryAt) {
			continue
		}
		sl.waking = true
		out = append(out, sl)
	}
	return out
}

// wake starts sl's process in the background (a call found another one running).
func (s *services) wake(p *pool, sl *slot) {
	defer s.sup.wg.Done()
	pr, err := s.sup.ensureIn(s.sup.ctx, sl.u, nil, "call of "+p.name)
	s.mu.Lock()
	defer s.mu.Unlock()
	sl.waking = false
	if err != nil {
		sl.retryAt = time.Now().Add(time.Second)
		return
	}
	sl.proc = pr
}

func isDone(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// release counts a call off sl and re-arms the idle timer.
func (s *services) release(p *pool, sl *slot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl.queued--
	p.lastUse = time.Now()
	if p.spec.idle > 0 && p.timer == nil && !s.closed {
		p.timer = time.AfterFunc(p.spec.idle, func() { s.idleCheck(p) })
	}
}

// close stops the idle timers; the processes are the instance's to stop.
func (s *services) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, p := range s.pools {
		if p.timer != nil {
			p.timer.Stop()
			p.timer = nil
		}
	}
}

var _ kernel.Services = (*services)(nil)

// serviceSpec reads the installed service name's manifest: kind service, instances, idle
// timeout and restart policy.
func (in *Instance) serviceSpec(name string) (serviceSpec, error) {
	rec, err := in.reg.Best(name, "")
	if errors.Is(err, registry.ErrNotFound) {
		if in.servesRoutes(name) {
			return routedSpec(""), nil // a bare .wasm with routes (httpdeliver.go)
		}
		return serviceSpec{}, fmt.Errorf("%w: %s is not installed", kernel.ErrNoService, name)
	}
	if err != nil {
		return serviceSpec{}, fmt.Errorf("%w: %s: %v", kernel.ErrNoService, name, err)
	}
	man, err := in.reg.Manifest(rec)
	if err != nil {
		return serviceSpec{}, fmt.Errorf("%w: %v", kernel.ErrNoService, err)
	}
	if man.Kind != registry.KindService {
		if in.servesRoutes(name) {
			return routedSpec(man.Restart), nil
		}
		return serviceSpec{}, fmt.Errorf("%w: %s is a module of kind %s, not a service", kernel.ErrNoService, name, man.Kind)
	}
	idle, _ := registry.ParseIdleTimeout(man.IdleTimeout) // install validated it
	return serviceSpec{instances: man.ServiceInstances(), idle: idle, restart: man.Restart}, nil
}
