package kernel

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

func TestInfiniteLoopKilledWithinTwiceDeadline(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	const deadline = 200 * time.Millisecond
	p := spawn(t, k, watModule(t, k, "loop", wat(watLoop)), SpawnOptions{Limits: Limits{Deadline: deadline}})
	start := time.Now()
	in := wait(t, p, 10*time.Second)
	took := time.Since(start)
	if took > 2*deadline {
		t.Fatalf("loop ended after %v, want within %v", took, 2*deadline)
	}
	if in.State != Crashed || !strings.Contains(in.Reason, "deadline exceeded") {
		t.Fatalf("state %v reason %q", in.State, in.Reason)
	}
}

func TestKillTightLoop(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	p := spawn(t, k, watModule(t, k, "loop", wat(watLoop)), SpawnOptions{Limits: Limits{Deadline: -1}})
	waitState(t, p, Running, 5*time.Second)
	// Let it spin until its CPU time is sampled: the kill must interrupt running guest code,
	// however long a loaded machine takes to give it 10 ms of CPU.
	testenv.Eventually(t, func() bool { return p.Info().CPU >= 10*time.Millisecond }, 10*time.Second, "the spinning guest's CPU time sampled")
	start := time.Now()
	if err := k.Kill(p.PID(), true); err != nil {
		t.Fatal(err)
	}
	in := wait(t, p, 5*time.Second)
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Fatalf("kill took %v", took)
	}
	if in.State != Exited || in.ExitCode != ExitKilled || in.Reason != "killed" {
		t.Fatalf("state %v code %d reason %q", in.State, in.ExitCode, in.Reason)
	}
	if in.CPU < 10*time.Millisecond {
		t.Fatalf("CPU time %v of a spinning guest not sampled", in.CPU)
	}
}

func TestKillGraceThenForce(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true, QuitGrace: 100 * time.Millisecond})
	p := spawn(t, k, watModule(t, k, "loop", wat(watLoop)), SpawnOptions{Limits: Limits{Deadline: -1}})
	waitState(t, p, Running, 5*time.Second)
	start := time.Now()
	k.Kill(p.PID(), false)
	in := wait(t, p, 5*time.Second)
	if took := time.Since(start); took < 100*time.Millisecond || took > 2*time.Second {
		t.Fatalf("graceful kill of a guest ignoring quit took %v, want about the 100ms grace", took)
	}
	if in.ExitCode != ExitKilled || !strings.Contains(in.Reason, "after the quit request") {
		t.Fatalf("code %d reason %q", in.ExitCode, in.Reason)
	}
}

// recvLoop blocks in recv; on a quit request it exits 0, on an input event it exits with the
// event type, and on an error it exits with 100 - code.
const recvLoop = `(func (export "_start") (local $n i32)
  (loop $l
    (local.set $n (call $recv (i32.const 1024) (i32.const 4096) (i64.const -1)))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then (call $exit (i32.sub (i32.const 100) (local.get $n)))))
    (if (i32.eq (i32.load (i32.const 1024)) (i32.const 17)) (then (call $exit (i32.const 0))))
    (if (i32.eq (i32.load (i32.const 1024)) (i32.const 16)) (then (call $exit (i32.load (i32.const 1072)))))
    (br $l)))`

func TestKillBlockedInRecv(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	p := spawn(t, k, watModule(t, k, "recv", wat(recvLoop)), SpawnOptions{})
	waitState(t, p, Blocked, 5*time.Second)
	start := time.Now()
	k.Kill(p.PID(), true)
	in := wait(t, p, 5*time.Second)
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Fatalf("kill of a blocked process took %v", took)
	}
	if in.ExitCode != ExitKilled || in.Reason != "killed" {
		t.Fatalf("code %d reason %q", in.ExitCode, in.Reason)
	}
}

func TestQuitRequestAndEvents(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	m := watModule(t, k, "recv", wat(recvLoop))
	p := spawn(t, k, m, SpawnOptions{})
	waitState(t, p, Blocked, 5*time.Second)
	k.Kill(p.PID(), false)
	if in := wait(t, p, 5*time.Second); in.State != Exited || in.ExitCode != 0 {
		t.Fatalf("quit: state %v code %d reason %q", in.State, in.ExitCode, in.Reason)
	}

	p = spawn(t, k, m, SpawnOptions{})
	if err := k.PostEvent(p.PID(), Event{Type: EventMouseDown, X: 3}); err != nil {
		t.Fatal(err)
	}
	if in := wait(t, p, 5*time.Second); in.ExitCode != EventMouseDown {
		t.Fatalf("event: code %d reason %q", in.ExitCode, in.Reason)
	}
}

func TestMemoryBomb(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	bomb := wat(`(func (export "_start")
  (loop $l
    (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable))
    (br $l)))`)
	p := spawn(t, k, watModule(t, k, "bomb", bomb), SpawnOptions{Limits: Limits{Memory: 8 << 20}})
	in := wait(t, p, 10*time.Second)
	if in.State != Crashed || !strings.Contains(in.Reason, "memory limit of 8 MiB reached") {
		t.Fatalf("state %v reason %q", in.State, in.Reason)
	}
	if in.Memory > 8<<20 || in.Memory < 7<<20 {
		t.Fatalf("memory at end %d, want just under the 8 MiB ceiling", in.Memory)
	}
	// A trap far below the ceiling is not blamed on memory.
	in = wait(t, spawn(t, k, watModule(t, k, "trap", wat(`(func (export "_start") unreachable)`)), SpawnOptions{Limits: Limits{Memory: 64 << 20}}), 5*time.Second)
	if strings.Contains(in.Reason, "memory") {
		t.Fatalf("reason %q blames memory", in.Reason)
	}
}

func TestTrapDoesNotStopNeighbour(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	// The neighbour spins for 300ms of its own clock, calling the host all along, then exits 0.
	steady := watModule(t, k, "steady", wat(`(func (export "_start") (local $end i64)
  (local.set $end (i64.add (call $now) (i64.const 300000000)))
  (loop $l (br_if $l (i64.lt_s (call $now) (local.get $end)))))`))
	s := spawn(t, k, steady, SpawnOptions{})
	c := spawn(t, k, watModule(t, k, "trap", wat(`(func (export "_start") unreachable)`)), SpawnOptions{})
	if in := wait(t, c, 5*time.Second); in.State != Crashed {
		t.Fatalf("trap: %+v", in)
	}
	if st := s.Info().State; st != Running {
		t.Fatalf("neighbour is %v right after the trap, want running", st)
	}
	if in := wait(t, s, 5*time.Second); in.State != Exited || in.ExitCode != 0 {
		t.Fatalf("neighbour: %v %d %q", in.State, in.ExitCode, in.Reason)
	}
}

func TestBadPointerGetsFault(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	tests := []struct{ name, call string }{
		{"log-past-end", `(call $log (i32.const 1) (i32.const 65530) (i32.const 100))`},
		{"log-negative", `(call $log (i32.const 1) (i32.const -5) (i32.const 4))`},
		{"recv-buffer", `(call $recv (i32.const 65000) (i32.const 4096) (i64.const 0))`},
		{"surface-title", `(call $surface_create (i32.const 10) (i32.const 10) (i32.const 70000) (i32.const 1))`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := watModule(t, k, tc.name, wat(`(func (export "_start") (call $exit (i32.sub (i32.const 0) `+tc.call+`)))`))
			in := wait(t, spawn(t, k, m, SpawnOptions{UI: true}), 5*time.Second)
			if in.State != Exited || in.ExitCode != -int(errFault) {
				t.Fatalf("state %v exit %d (%s), want exit %d (ERR_FAULT)", in.State, in.ExitCode, in.Reason, -errFault)
			}
		})
	}
}

// panicDisplay's CreateSurface panics: a fault in a host function that no guest input can
// produce otherwise.
type panicDisplay struct{ calls atomic.Int32 }

func (d *panicDisplay) CreateSurface(SurfaceOwner, string, int, int) (Surface, error) {
	d.calls.Add(1)
	panic("display exploded")
}

func TestHostPanicEndsOnlyThatProcess(t *testing.T) {
	d := &panicDisplay{}
	k := newKernel(t, Config{AllowAll: true, Display: d})
	s := spawn(t, k, watModule(t, k, "recv", wat(recvLoop)), SpawnOptions{})
	waitState(t, s, Blocked, 5*time.Second) // Spawn returns before the guest reaches recv
	m := watModule(t, k, "ui", wat(`(func (export "_start")
  (drop (call $surface_create (i32.const 10) (i32.const 10) (i32.const 16) (i32.const 5))))`))
	in := wait(t, spawn(t, k, m, SpawnOptions{UI: true}), 5*time.Second)
	if in.State != Crashed || !strings.Contains(in.Reason, "orbital.surface_create panicked: display exploded") {
		t.Fatalf("state %v reason %q", in.State, in.Reason)
	}
	if d.calls.Load() != 1 {
		t.Fatalf("CreateSurface called %d times", d.calls.Load())
	}
	// The kernel and the neighbour go on.
	if st := s.Info().State; st != Blocked {
		t.Fatalf("neighbour is %v", st)
	}
	in2 := wait(t, spawn(t, k, watModule(t, k, "ok", wat(`(func (export "_start"))`)), SpawnOptions{}), 5*time.Second)
	if in2.State != Exited {
		t.Fatalf("spawn after a host panic: %+v", in2)
	}
	k.Kill(s.PID(), false)
	if in := wait(t, s, 5*time.Second); in.ExitCode != 0 {
		t.Fatalf("neighbour quit: %+v", in)
	}
}

func TestKillUnknownPID(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	if err := k.Kill(4242, true); !errors.Is(err, ErrNoProcess) {
		t.Fatalf("Kill(4242) = %v", err)
	}
}
