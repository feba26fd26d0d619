package system

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
)

// The dispatcher of calls by name on a fake clock, with fake processes (supervisor_test.go's
// fakes) and a fake delivery: start on demand, spreading over instances, least queued first,
// the bound on calls in flight, idle stop, restarts and crash loops.

// answerer is the fake delivery: it answers with the pid, or waits for gate when set.
type answerer struct {
	mu    sync.Mutex
	gate  chan struct{}
	fail  map[bus.PID]func() error // a pid's next call ends like this
	calls map[bus.PID]int
}

func (a *answerer) call(ctx context.Context, p proc, c kernel.ServiceCall) (bus.Message, error) {
	pid := p.PID()
	a.mu.Lock()
	if a.calls == nil {
		a.calls = map[bus.PID]int{}
	}
	a.calls[pid]++
	gate, fail := a.gate, a.fail[pid]
	delete(a.fail, pid)
	a.mu.Unlock()
	if fail != nil {
		return bus.Message{}, fail()
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return bus.Message{}, ctx.Err()
		}
	}
	return bus.Message{Payload: []byte(fmt.Sprint(uint32(pid)))}, nil
}

func (a *answerer) counts() map[bus.PID]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[bus.PID]int{}
	for k, v := range a.calls {
		out[k] = v
	}
	return out
}

// dispatch makes a dispatcher for the service "weather" of spec over fakes; script says how
// each started process runs.
func dispatch(t *testing.T, spec serviceSpec, script func(n int) run) (*services, *fakes, *answerer) {
	t.Helper()
	fk := &fakes{script: script}
	sup := newSupervisor(fk.start, fk.kill, fk.log)
	a := &answerer{fail: map[bus.PID]func() error{}}
	resolve := func(name string) (serviceSpec, error) {
		if name != "weather" {
			return serviceSpec{}, fmt.Errorf("%w: %s is not installed", kernel.ErrNoService, name)
		}
		return spec, nil
	}
	s := newServices(sup, resolve, a.call)
	t.Cleanup(func() {
		s.close()
		sup.close()
		fk.mu.Lock()
		procs := append([]*fakeProc(nil), fk.procs...)
		fk.mu.Unlock()
		for _, p := range procs {
			p.end(kernel.Exited, 0)
		}
		sup.wait()
	})
	return s, fk, a
}

func resident(int) run { return run{d: 1000 * time.Hour, state: kernel.Exited} }

func callWeather(s *services, timeout time.Duration) (string, error) {
	rep, err := s.Call(context.Background(), kernel.ServiceCall{Service: "weather", Method: "today", Timeout: timeout})
	return string(rep.Payload), err
}

func TestServicesOnDemandAndSpread(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, fk, a := dispatch(t, serviceSpec{instances: 3, idle: time.Minute}, resident)
		if fk.count() != 0 {
			t.Fatal("a process started before any call")
		}
		if got, err := callWeather(s, time.Second); err != nil || got != "1" {
			t.Fatalf("first call: %q, %v", got, err)
		}
		synctest.Wait() // the other instances start in the background
		if fk.count() != 3 {
			t.Fatalf("%d processes after the first call, want 3", fk.count())
		}
		for range 6 {
			if _, err := callWeather(s, time.Second); err != nil {
				t.Fatal(err)
			}
		}
		if c := a.counts(); c[1] != 3 || c[2] != 2 || c[3] != 2 {
			t.Fatalf("7 calls in a row over 3 instances: %v, want 3, 2, 2", c)
		}
		if _, err := s.Call(context.Background(), kernel.ServiceCall{Service: "nosuch", Timeout: time.Second}); !errors.Is(err, kernel.ErrNoService) {
			t.Fatalf("an unknown service: %v", err)
		}
	})
}

// TestServicesLeastQueued: calls in flight go to the instance with the fewest; past maxQueued
// on every instance a call is refused at once.
func TestServicesLeastQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _, a := dispatch(t, serviceSpec{instances: 2, idle: time.Hour}, resident)
		callWeather(s, time.Second)
		synctest.Wait()
		a.mu.Lock()
		a.calls, a.gate = nil, make(chan struct{})
		a.mu.Unlock()
		var wg sync.WaitGroup
		for range 2 * maxQueued {
			wg.Add(1)
			go func() {
				defer wg.Done()
				callWeather(s, time.Minute)
			}()
		}
		synctest.Wait()
		if c := a.counts(); c[1] != maxQueued || c[2] != maxQueued {
			t.Fatalf("%d calls in flight: %v, want %d on each", 2*maxQueued, c, maxQueued)
		}
		if _, err := callWeather(s, time.Minute); !errors.Is(err, bus.ErrFull) {
			t.Fatalf("one more: %v, want ErrFull", err)
		}
		close(a.gate)
		wg.Wait()
		if _, err := callWeather(s, time.Second); err != nil {
			t.Fatalf("after the storm: %v", err)
		}
	})
}

// TestServicesIdleStop: the processes stop idle_timeout after the last call ended (a call
// re-arms it), and the next call starts them again.
func TestServicesIdleStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, fk, _ := dispatch(t, serviceSpec{instances: 2, idle: 30 * time.Second}, resident)
		callWeather(s, time.Second)
		time.Sleep(20 * time.Second)
		callWeather(s, time.Second)
		time.Sleep(29 * time.Second)
		synctest.Wait()
		if live := fk.live(); live != 2 {
			t.Fatalf("29 s after the last call: %d running, want 2", live)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if live := fk.live(); live != 0 {
			t.Fatalf("31 s after the last call: %d running, want 0", live)
		}
		if got, err := callWeather(s, time.Second); err != nil || got != "3" {
			t.Fatalf("a call after the idle stop: %q, %v (want the new pid 3)", got, err)
		}
		synctest.Wait()
		if fk.count() != 4 || fk.live() != 2 {
			t.Fatalf("after the idle stop and a call: %d started, %d running; want 4, 2", fk.count(), fk.live())
		}
	})
}

// TestServicesCrash: a call whose process crashed is ERR_CRASHED for its caller; the restart
// policy brings the instance back and the next call reaches it.
func TestServicesCrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, fk, a := dispatch(t, serviceSpec{instances: 1, idle: time.Hour, restart: RestartOnFailure}, resident)
		callWeather(s, time.Second)
		a.mu.Lock()
		a.fail[1] = func() error {
			fk.procs[0].end(kernel.Crashed, kernel.ExitCrashed)
			return fmt.Errorf("%w: trap", kernel.ErrServiceCrashed)
		}
		a.mu.Unlock()
		if _, err := callWeather(s, time.Second); !errors.Is(err, kernel.ErrServiceCrashed) {
			t.Fatalf("the crashing call: %v", err)
		}
		if got, err := callWeather(s, time.Second); err != nil || got != "2" {
			t.Fatalf("the next call: %q, %v (want the restarted pid 2)", got, err)
		}
		if fk.count() != 2 || !strings.Contains(strings.Join(fk.by, "|"), "restart 1") {
			t.Fatalf("starts: %q, want the supervisor's restart", fk.by)
		}
	})
}

// TestServicesCrashLoop: a service that fails on every start stops restarting after the
// crash-loop limit; calls then fail at once with ERR_CRASHED and the reason.
func TestServicesCrashLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _, _ := dispatch(t, serviceSpec{instances: 1, idle: time.Hour, restart: RestartOnFailure},
			func(int) run { return run{d: 10 * time.Millisecond, state: kernel.Crashed, code: kernel.ExitCrashed} })
		callWeather(s, time.Second)
		time.Sleep(10 * time.Second) // 5 failures within a minute, with backoff
		synctest.Wait()
		_, err := callWeather(s, time.Second)
		if !errors.Is(err, kernel.ErrServiceCrashed) || !strings.Contains(err.Error(), "crash loop") {
			t.Fatalf("a call after the crash loop: %v", err)
		}
	})
}

// TestServicesStartTimeout: a call that finds its only instance waiting to restart waits at
// most its timeout.
func TestServicesStartTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, fk, _ := dispatch(t, serviceSpec{instances: 1, idle: time.Hour, restart: RestartOnFailure}, resident)
		callWeather(s, time.Second)
		for i := range 3 { // three quick failures: the backoff is 800 ms after the next
			fk.mu.Lock()
			p := fk.procs[len(fk.procs)-1]
			fk.mu.Unlock()
			p.end(kernel.Crashed, kernel.ExitCrashed)
			synctest.Wait()
			time.Sleep(time.Duration(100<<i) * time.Millisecond) // the backoff: 100, 200, 400 ms
			synctest.Wait()
		}
		fk.mu.Lock()
		fk.procs[len(fk.procs)-1].end(kernel.Crashed, kernel.ExitCrashed)
		fk.mu.Unlock()
		synctest.Wait()
		t0 := time.Now()
		if _, err := callWeather(s, 100*time.Millisecond); !errors.Is(err, bus.ErrTimeout) || time.Since(t0) != 100*time.Millisecond {
			t.Fatalf("a call during the backoff: %v after %v", err, time.Since(t0))
		}
	})
}

// live counts the fakes' processes that have not ended.
func (fk *fakes) live() int {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	n := 0
	for _, p := range fk.procs {
		if !p.Info().State.Done() {
			n++
		}
	}
	return n
}
