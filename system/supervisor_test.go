package system

import (
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/registry"
)

// The supervisor's timing on a fake clock (testing/synctest): schedules, tasks, skips,
// backoff and crash loops, with fake processes that end when the test's script says.

// fakeProc is a process that ends after its script's duration, crashed or with a code.
type fakeProc struct {
	pid  bus.PID
	done chan struct{}
	mu   sync.Mutex
	info kernel.Info
}

func (f *fakeProc) PID() bus.PID          { return f.pid }
func (f *fakeProc) Done() <-chan struct{} { return f.done }
func (f *fakeProc) Info() kernel.Info {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.info
}

func (f *fakeProc) end(state kernel.State, code int) {
	f.mu.Lock()
	if f.info.State.Done() {
		f.mu.Unlock()
		return
	}
	f.info.State, f.info.ExitCode, f.info.Ended = state, code, time.Now()
	f.mu.Unlock()
	close(f.done)
}

// run is what every started process does: how long it runs and how it ends.
type run struct {
	d     time.Duration
	state kernel.State
	code  int
}

// fakes records the starts of a supervisor and plays script for each process.
type fakes struct {
	mu     sync.Mutex
	starts []time.Time
	by     []string
	procs  []*fakeProc
	logs   []string
	script func(n int) run
}

func (fk *fakes) start(u *unit, by string) (proc, error) {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	n := len(fk.starts)
	p := &fakeProc{pid: bus.PID(n + 1), done: make(chan struct{}), info: kernel.Info{PID: bus.PID(n + 1), Name: u.name, State: kernel.Running, Started: time.Now()}}
	fk.starts = append(fk.starts, time.Now())
	fk.by = append(fk.by, by)
	fk.procs = append(fk.procs, p)
	r := fk.script(n)
	time.AfterFunc(r.d, func() { p.end(r.state, r.code) })
	return p, nil
}

func (fk *fakes) kill(p proc) { p.(*fakeProc).end(kernel.Exited, kernel.ExitKilled) }

func (fk *fakes) log(_ bus.PID, line string) {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	fk.logs = append(fk.logs, line)
}

func (fk *fakes) count() int {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	return len(fk.starts)
}

// gaps are the times between consecutive starts.
func (fk *fakes) gaps() []time.Duration {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(fk.starts); i++ {
		out = append(out, fk.starts[i].Sub(fk.starts[i-1]))
	}
	return out
}

// supervise makes a supervisor over fakes with one unit of the given triggers and restart
// policy, starts its jobs and closes it when the bubble's test ends.
func supervise(t *testing.T, restart string, trig registry.Triggers, script func(n int) run) (*supervisor, *unit, *fakes) {
	t.Helper()
	fk := &fakes{script: script}
	s := newSupervisor(fk.start, fk.kill, fk.log)
	u := unitFor(&registry.Manifest{Name: "job", Restart: restart, Triggers: trig})
	s.add(u)
	s.startJobs()
	t.Cleanup(func() {
		s.close()
		for _, p := range fk.procs {
			p.end(kernel.Exited, 0)
		}
		s.wait()
	})
	return s, u, fk
}

func quick(int) run { return run{d: time.Second, state: kernel.Exited} }

func jobStats(s *supervisor, j *job) (runs, skips int, next time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return j.runs, j.skips, j.nextRun
}

func TestScheduleEvery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		s, u, fk := supervise(t, "", registry.Triggers{Schedule: []string{"@every 30s"}}, quick)
		time.Sleep(5*time.Minute + time.Millisecond)
		synctest.Wait()
		runs, skips, next := jobStats(s, u.jobs[0])
		if runs != 10 || skips != 0 || fk.count() != 10 || !next.Equal(start.Add(330*time.Second)) {
			t.Fatalf("runs %d skips %d starts %d next %v; want 10 runs, next at +330s", runs, skips, fk.count(), next.Sub(start))
		}
		for _, g := range fk.gaps() {
			if g != 30*time.Second {
				t.Fatalf("gaps %v, want 30s each", fk.gaps())
			}
		}
	})
}

// A run still going when the next is due is skipped and counted.
func TestScheduleSkipsWhileRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, u, fk := supervise(t, "", registry.Triggers{Schedule: []string{"@every 1s"}}, func(int) run {
			return run{d: 2500 * time.Millisecond, state: kernel.Exited}
		})
		time.Sleep(10*time.Second + time.Millisecond)
		synctest.Wait()
		// Runs at 1s, 4s, 7s, 10s; due at 2, 3, 5, 6, 8, 9 while one ran.
		if runs, skips, _ := jobStats(s, u.jobs[0]); runs != 4 || skips != 6 || fk.count() != 4 {
			t.Fatalf("runs %d skips %d starts %d; want 4 runs and 6 skips", runs, skips, fk.count())
		}
	})
}

func TestScheduleCron(t *testing.T) {
	for _, tc := range []struct {
		line string
		span time.Duration
		runs int
		at   func(time.Time) bool
	}{
		{"0 3 * * 1-5", 7 * 24 * time.Hour, 5, func(t time.Time) bool {
			return t.Hour() == 3 && t.Minute() == 0 && t.Weekday() >= time.Monday && t.Weekday() <= time.Friday
		}},
		{"@hourly", 24 * time.Hour, 24, func(t time.Time) bool { return t.Minute() == 0 && t.Second() == 0 }},
		{"@daily", 3 * 24 * time.Hour, 3, func(t time.Time) bool { return t.Hour() == 0 && t.Minute() == 0 }},
	} {
		t.Run(tc.line, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, u, fk := supervise(t, "", registry.Triggers{Schedule: []string{tc.line}}, quick)
				time.Sleep(tc.span)
				synctest.Wait()
				if runs, _, _ := jobStats(s, u.jobs[0]); runs != tc.runs {
					t.Fatalf("%s over %v: %d runs, want %d", tc.line, tc.span, runs, tc.runs)
				}
				for _, at := range fk.starts {
					if !tc.at(at.Local()) {
						t.Fatalf("%s ran at %v (local)", tc.line, at.Local())
					}
				}
			})
		})
	}
}

// A task: the first run at once, then repeat more, delay apart; runs due before the instance
// started are not made up.
func TestTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		once := start.Add(-15 * time.Minute).Local().Format("2006-01-02T15:04:05")
		s, u, fk := supervise(t, "", registry.Triggers{Once: once, Delay: "10m", Repeat: 4}, quick)
		if !strings.HasPrefix(u.jobs[0].trigger, "once ") || !strings.Contains(u.jobs[0].trigger, "4 more every 10m0s") {
			t.Fatalf("trigger %q", u.jobs[0].trigger)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		// Due at -15m, -5m (missed), +5m, +15m, +25m.
		runs, _, next := jobStats(s, u.jobs[0])
		if runs != 3 || !next.IsZero() {
			t.Fatalf("runs %d, next %v; want 3 runs and no next", runs, next)
		}
		if g := fk.gaps(); len(g) != 2 || g[0] != 10*time.Minute || g[1] != 10*time.Minute {
			t.Fatalf("gaps %v", g)
		}
	})
}

// on-failure: a module that fails on start restarts after 100, 200, 400, 800 ms and stops at
// the fifth failure within a minute, saying so; Start begins afresh.
func TestCrashLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, u, fk := supervise(t, RestartOnFailure, registry.Triggers{Boot: true}, func(int) run {
			return run{state: kernel.Exited, code: 3}
		})
		time.Sleep(time.Minute)
		synctest.Wait()
		want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}
		got := fk.gaps()
		if len(got) != len(want) {
			t.Fatalf("restart gaps %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("restart gaps %v, want %v", got, want)
			}
		}
		s.mu.Lock()
		state, last, restarts := u.state, u.lastExit, u.restarts
		s.mu.Unlock()
		if state != unitFailed || restarts != 4 || !strings.Contains(last, "crash loop: failed 5 times") {
			t.Fatalf("state %s restarts %d last exit %q", state, restarts, last)
		}
		if l := fk.logs[len(fk.logs)-1]; !strings.Contains(l, "crash loop") || !strings.Contains(fk.logs[0], "restarting in 100ms") {
			t.Fatalf("log %q", fk.logs)
		}
		if _, err := s.startNow(u, "test"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if fk.count() != 6 {
			t.Fatalf("Start after the crash loop: %d starts, want 6", fk.count())
		}
	})
}

// A process that ran a minute was healthy: its failure restarts after 100 ms again, and
// failures a minute apart never make a crash loop.
func TestBackoffResetsAfterHealthy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, u, fk := supervise(t, RestartOnFailure, registry.Triggers{Boot: true}, func(int) run {
			return run{d: 61 * time.Second, state: kernel.Crashed, code: kernel.ExitCrashed}
		})
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		for _, g := range fk.gaps() {
			if g != 61*time.Second+100*time.Millisecond {
				t.Fatalf("gaps %v, want 61.1s each", fk.gaps())
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if fk.count() < 9 || u.state == unitFailed {
			t.Fatalf("%d starts, state %s", fk.count(), u.state)
		}
	})
}

func TestBackoffDoublesToCap(t *testing.T) {
	var d time.Duration
	var got []time.Duration
	for range 12 {
		d = nextBackoff(d)
		got = append(got, d)
	}
	if got[0] != 100*time.Millisecond || got[1] != 200*time.Millisecond || got[8] != 25600*time.Millisecond || got[9] != 30*time.Second || got[11] != 30*time.Second {
		t.Fatalf("backoff %v", got)
	}
}

// never does not restart; always restarts a clean exit too; a stopped unit is not restarted,
// and stopping one in backoff cancels its restart.
func TestRestartPolicies(t *testing.T) {
	for _, tc := range []struct {
		policy string
		end    run
		starts int
	}{
		{RestartNever, run{state: kernel.Crashed, code: kernel.ExitCrashed}, 1},
		{RestartOnFailure, run{d: time.Second, state: kernel.Exited}, 1},
		{RestartAlways, run{d: time.Second, state: kernel.Exited}, 4}, // 0, 1.1, 2.3, 3.7 s
	} {
		t.Run(tc.policy, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, _, fk := supervise(t, tc.policy, registry.Triggers{Boot: true}, func(int) run { return tc.end })
				time.Sleep(4 * time.Second)
				synctest.Wait()
				if fk.count() != tc.starts {
					t.Fatalf("%d starts, want %d (gaps %v)", fk.count(), tc.starts, fk.gaps())
				}
			})
		})
	}
	synctest.Test(t, func(t *testing.T) {
		s, u, fk := supervise(t, RestartAlways, registry.Triggers{Boot: true}, func(int) run { return run{d: time.Second, state: kernel.Exited} })
		time.Sleep(500 * time.Millisecond)
		if p := s.stop(u); p != nil {
			fk.kill(p)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if fk.count() != 1 {
			t.Fatalf("a stopped unit restarted: %d starts", fk.count())
		}
	})
	synctest.Test(t, func(t *testing.T) {
		s, u, fk := supervise(t, RestartOnFailure, registry.Triggers{Boot: true}, func(int) run { return run{state: kernel.Exited, code: 1} })
		time.Sleep(50 * time.Millisecond) // in the first backoff
		s.stop(u)
		time.Sleep(time.Minute)
		synctest.Wait()
		if fk.count() != 1 || u.state != unitIdle {
			t.Fatalf("stopped in backoff: %d starts, state %s", fk.count(), u.state)
		}
	})
}
