package system

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
)

// The supervisor runs the modules the instance starts on its own: from their triggers (boot,
// schedule, task, topics) and from the panel's Start. A unit is one such module; at most one
// process of it runs at a time. When that process ends, the unit's restart policy decides:
// never, on-failure (it crashed or exited non-zero) or always, after a backoff of 100 ms
// doubling to 30 s, back to 100 ms once a process ran 60 s. Five failures within a minute stop
// the restarts until someone starts the unit again (the panel's Start or Restart), and say so
// in ps, the panel and the module's log. A unit the user or the instance stopped is never
// restarted.

// Restart and crash-loop figures.
const (
	firstBackoff   = 100 * time.Millisecond
	maxBackoff     = 30 * time.Second
	healthyAfter   = 60 * time.Second
	crashLoopLimit = 5
	crashLoopSpan  = time.Minute
)

// Restart policies (registry.Manifest.Restart).
const (
	RestartNever     = "never"
	RestartOnFailure = "on-failure"
	RestartAlways    = "always"
)

// proc is what the supervisor needs of a process (*kernel.Process; fakes in tests).
type proc interface {
	PID() bus.PID
	Done() <-chan struct{}
	Info() kernel.Info
}

// unit states.
const (
	unitIdle     = "idle"
	unitStarting = "starting"
	unitRunning  = "running"
	unitBackoff  = "backoff" // waiting to restart after a failure
	unitFailed   = "failed"  // crash loop: restarts stopped
)

// unit is one module under the supervisor's care: the processes of its module run one at a
// time. A service called by name with instances = N has N units (services.go), each its own
// restart policy and backoff: "weather", "weather#2", ...
type unit struct {
	name    string
	mod     string // the module it runs; "" is name
	restart string
	jobs    []*job

	// Guarded by supervisor.mu.
	proc     proc
	lastPID  bus.PID
	state    string
	stopped  bool        // stopped by the user or the instance: not restarted
	failures []time.Time // within the last crashLoopSpan
	backoff  time.Duration
	restarts int
	lastExit string
	retry    *time.Timer // the pending restart, in backoff
	run      *job        // the job whose run the current process is (nil: a manual start)
}

// supervisor owns the units, their timers and their watchers.
type supervisor struct {
	start func(u *unit, by string) (proc, error) // spawn a process of u
	kill  func(p proc)                           // end p (a quit request, then forced)
	log   func(pid bus.PID, line string)         // a line into the module's log

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	units   map[string]*unit
	closed  bool
	changed chan struct{} // closed and replaced whenever a unit's state changes (ensure waits on it)
}

func newSupervisor(start func(u *unit, by string) (proc, error), kill func(proc), log func(bus.PID, string)) *supervisor {
	ctx, cancel := context.WithCancel(context.Background())
	return &supervisor{start: start, kill: kill, log: log, ctx: ctx, cancel: cancel, units: map[string]*unit{}, changed: make(chan struct{})}
}

// notifyLocked wakes whoever waits for a unit's state to change (s.mu held).
func (s *supervisor) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// errNoRun is ensure's error when the unit will not run until someone starts it again.
var errNoRun = errors.New("the module is stopped or stopped restarting")

// module is the module u runs.
func (u *unit) module() string {
	if u.mod != "" {
		return u.mod
	}
	return u.name
}

// ensure returns the running process of j's unit, starting one (a run of j) when the unit is
// idle; it waits while the unit starts or waits in backoff. It fails when the unit stopped
// restarting (crash loop) or ctx ends.
func (s *supervisor) ensure(ctx context.Context, j *job) (proc, error) {
	return s.ensureIn(ctx, j.unit, j, j.trigger)
}

// ensureIn returns u's running process, starting one for j (nil: a manual start, by) when u is
// idle, and waiting while it starts or backs off.
func (s *supervisor) ensureIn(ctx context.Context, u *unit, j *job, by string) (proc, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, errNoRun
		}
		switch u.state {
		case unitRunning:
			p := u.proc
			s.mu.Unlock()
			return p, nil
		case unitIdle:
			if j != nil {
				j.runs++
				j.lastRun = time.Now()
			}
			p, err := s.launchLocked(u, j, by)
			s.mu.Unlock()
			return p, err
		case unitFailed:
			s.mu.Unlock()
			return nil, errNoRun
		}
		ch := s.changed // starting or backoff: wait for the next state
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// stateOf is u's state and its process (nil when none runs).
func (s *supervisor) stateOf(u *unit) (string, proc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return u.state, u.proc
}

// add registers u (replacing nothing: a unit is made once per module).
func (s *supervisor) add(u *unit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.state == "" {
		u.state = unitIdle
	}
	if u.restart == "" {
		u.restart = RestartNever
	}
	s.units[u.name] = u
}

// unitOf returns the unit of name, making a manual one (no triggers) on first use.
func (s *supervisor) unitOf(name, restart string) *unit { return s.unitFor(name, "", restart) }

// unitFor returns the unit called name, which runs module mod ("": name), making it on first
// use.
func (s *supervisor) unitFor(name, mod, restart string) *unit {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.units[name]
	if u == nil {
		u = &unit{name: name, mod: mod, restart: restart, state: unitIdle}
		if u.restart == "" {
			u.restart = RestartNever
		}
		s.units[name] = u
	}
	return u
}

// fire runs j now: a process of its unit starts unless one is starting or running (a skip,
// counted) or the unit waits in backoff or stopped restarting (skipped too).
func (s *supervisor) fire(j *job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := j.unit
	if s.closed {
		return
	}
	if u.state != unitIdle {
		j.skips++
		return
	}
	j.runs++
	j.lastRun = time.Now()
	s.launchLocked(u, j, j.trigger)
}

// launchLocked spawns a process of u for job j (nil: a manual start). It is called with s.mu
// held and releases it during the spawn; the unit is "starting" meanwhile, so a burst of
// triggers starts one process.
func (s *supervisor) launchLocked(u *unit, j *job, by string) (proc, error) {
	u.stopped, u.run, u.state = false, j, unitStarting
	s.mu.Unlock()
	p, err := s.start(u, by)
	s.mu.Lock()
	defer s.notifyLocked()
	if err != nil {
		u.state = unitIdle
		u.lastExit = "did not start: " + err.Error()
		if j != nil {
			j.lastExit = u.lastExit
		}
		return nil, err
	}
	u.proc, u.lastPID, u.state = p, p.PID(), unitRunning
	s.wg.Add(1)
	go s.watch(u, p)
	if s.closed || u.stopped { // stopped while it started
		go s.kill(p)
	}
	return p, nil
}

// watch waits for p to end and applies u's restart policy.
func (s *supervisor) watch(u *unit, p proc) {
	defer s.wg.Done()
	<-p.Done()
	info := p.Info()
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.proc != p {
		return
	}
	defer s.notifyLocked()
	u.proc = nil
	failed := info.State == kernel.Crashed || info.ExitCode != 0
	u.lastExit = exitText(info)
	if u.run != nil {
		u.run.lastExit = u.lastExit
	}
	if !info.Ended.IsZero() && info.Ended.Sub(info.Started) >= healthyAfter {
		u.backoff, u.failures = 0, nil // healthy for a minute: the next failure starts afresh
	}
	u.state = unitIdle
	if s.closed || u.stopped {
		return
	}
	now := time.Now()
	if failed {
		u.failures = append(u.failures, now)
		for len(u.failures) > 0 && now.Sub(u.failures[0]) > crashLoopSpan {
			u.failures = u.failures[1:]
		}
	}
	if !(u.restart == RestartAlways || u.restart == RestartOnFailure && failed) {
		return
	}
	if len(u.failures) >= crashLoopLimit {
		u.state = unitFailed
		u.lastExit = fmt.Sprintf("crash loop: failed %d times within %v, restarts stopped (last: %s); start it again from the panel", len(u.failures), crashLoopSpan, exitText(info))
		s.log(info.PID, u.lastExit)
		return
	}
	u.backoff = nextBackoff(u.backoff)
	u.state = unitBackoff
	s.log(info.PID, fmt.Sprintf("%s; restart = %q: restarting in %v", exitText(info), u.restart, u.backoff))
	wait := u.backoff
	u.retry = time.AfterFunc(wait, func() { s.restartAfterBackoff(u) })
}

// restartAfterBackoff starts u again once its backoff has passed.
func (s *supervisor) restartAfterBackoff(u *unit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || u.stopped || u.state != unitBackoff {
		return
	}
	u.retry = nil
	u.restarts++
	u.state = unitIdle
	if _, err := s.launchLocked(u, u.run, fmt.Sprintf("restart %d (restart = %q)", u.restarts, u.restart)); err != nil {
		s.log(u.lastPID, "restart failed: "+err.Error())
	}
}

// nextBackoff doubles d from firstBackoff up to maxBackoff.
func nextBackoff(d time.Duration) time.Duration {
	if d <= 0 {
		return firstBackoff
	}
	return min(2*d, maxBackoff)
}

func exitText(info kernel.Info) string {
	switch {
	case info.State == kernel.Crashed:
		return fmt.Sprintf("crashed (exit %d): %s", info.ExitCode, info.Reason)
	case info.ExitCode != 0 && info.Reason != "":
		return fmt.Sprintf("exit %d: %s", info.ExitCode, info.Reason)
	}
	return fmt.Sprintf("exit %d", info.ExitCode)
}

// stop marks u stopped (no restart) and cancels a pending restart; it returns the running
// process, if any, for the caller to end.
func (s *supervisor) stop(u *unit) proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	u.stopped = true
	if u.retry != nil {
		u.retry.Stop()
		u.retry = nil
	}
	if u.state == unitBackoff || u.state == unitFailed {
		u.state = unitIdle
	}
	return u.proc
}

// startNow starts u at once (the panel's Start, or Restart of a unit): a unit in backoff or
// crash loop starts afresh. It refuses when a process of u is starting or running.
func (s *supervisor) startNow(u *unit, by string) (proc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("%s: the instance is closing", u.name)
	}
	if u.state == unitStarting || u.state == unitRunning {
		return nil, fmt.Errorf("%s is already running (pid %d)", u.name, u.lastPID)
	}
	if u.retry != nil {
		u.retry.Stop()
		u.retry = nil
	}
	u.failures, u.backoff = nil, 0
	return s.launchLocked(u, nil, by)
}

// waitEnded returns once the supervisor has seen p, a process of u, end.
func (s *supervisor) waitEnded(ctx context.Context, u *unit, p proc) error {
	for {
		s.mu.Lock()
		if u.proc != p {
			s.mu.Unlock()
			return nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// byPID finds the unit whose current or last process is pid.
func (s *supervisor) byPID(pid bus.PID) *unit {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.units {
		if u.lastPID == pid && (u.proc != nil || u.state == unitBackoff || u.state == unitFailed) {
			return u
		}
	}
	return nil
}

// close stops every timer and trigger; processes are the instance's to stop. It waits for the
// watchers, which return once their process ended.
func (s *supervisor) close() {
	s.mu.Lock()
	s.closed = true
	s.notifyLocked()
	for _, u := range s.units {
		if u.retry != nil {
			u.retry.Stop()
			u.retry = nil
		}
	}
	s.mu.Unlock()
	s.cancel()
}

// wait returns once every goroutine of the supervisor has ended.
func (s *supervisor) wait() { s.wg.Wait() }

// sortedUnits lists the units by name (s.mu held).
func (s *supervisor) sortedUnitsLocked() []*unit {
	out := make([]*unit, 0, len(s.units))
	for _, u := range s.units {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
