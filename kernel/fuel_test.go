package kernel

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
)

// countWAT loops n times adding to a sum, logs once (a host call, where fuel is sampled) and
// exits 0.
func countWAT(n int) string {
	return wat(`(func (export "_start") (local $i i32) (local $s i32)
  (loop $l
    (local.set $s (i32.add (local.get $s) (local.get $i)))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $l (i32.lt_u (local.get $i) (i32.const ` + strconv.Itoa(n) + `))))
  (drop (call $log (i32.const 1) (i32.const 16) (i32.const 14)))
  (call $exit (i32.const 0)))`)
}

func TestFuelInfiniteLoop(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	loop := watModule(t, k, "loop", wat(watLoop))
	// An unmetered neighbour spins on the main engine the whole time.
	free := spawn(t, k, loop, SpawnOptions{Name: "free", Limits: Limits{Deadline: -1}})
	waitState(t, free, Running, 5*time.Second)

	const budget = 5_000_000
	start := time.Now()
	in := wait(t, spawn(t, k, loop, SpawnOptions{Name: "metered", Limits: Limits{Deadline: -1, Fuel: budget}}), 10*time.Second)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("5M fuel units took %v to run out", took)
	}
	want := "out of fuel: used its fuel budget of 5000000 units (set by the embedder in SpawnOptions.Limits.Fuel, not by a policy)"
	if in.State != Crashed || in.ExitCode != ExitCrashed || !strings.HasPrefix(in.Reason, want) {
		t.Fatalf("state %v code %d reason %q, want crashed with %q", in.State, in.ExitCode, in.Reason, want)
	}
	if in.Fuel != budget || in.Limits.Fuel != budget {
		t.Errorf("fuel used %d of %d, want all %d", in.Fuel, in.Limits.Fuel, budget)
	}

	if st := free.Info(); st.State != Running || st.Fuel != 0 || st.Limits.Fuel != 0 {
		t.Fatalf("unmetered neighbour: state %v fuel %d/%d", st.State, st.Fuel, st.Limits.Fuel)
	}
	k.Kill(free.PID(), true)
	wait(t, free, 5*time.Second)
}

func TestFuelFiniteLoopAndBothVariants(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	m := watModule(t, k, "count", countWAT(100_000))
	for _, fuel := range []uint64{0, 1 << 40, 0, 1 << 40} {
		in := wait(t, spawn(t, k, m, SpawnOptions{Limits: Limits{Fuel: fuel}}), 10*time.Second)
		if in.State != Exited || in.ExitCode != 0 {
			t.Fatalf("fuel %d: state %v code %d reason %q", fuel, in.State, in.ExitCode, in.Reason)
		}
		switch {
		case fuel == 0 && in.Fuel != 0:
			t.Errorf("unmetered run reports %d fuel", in.Fuel)
		case fuel > 0 && (in.Fuel < 100_000*10 || in.Fuel > 100_000*20):
			// 12 instructions per iteration (local.get, i32.add, local.set, ...), one unit each
			t.Errorf("100k iterations used %d fuel units, want 1M..2M", in.Fuel)
		}
	}
	if m.fuel.code == nil || m.fuel.code.mod == m.mod {
		t.Fatal("no separate fuel variant was compiled")
	}
	// Config.Limits.Fuel meters every process that does not set its own.
	k2 := newKernel(t, Config{AllowAll: true, Limits: Limits{Fuel: 1000}})
	in := wait(t, spawn(t, k2, watModule(t, k2, "count", countWAT(100_000)), SpawnOptions{}), 10*time.Second)
	if in.State != Crashed || !strings.Contains(in.Reason, "budget of 1000 units (set by the embedder in Config.Limits.Fuel") {
		t.Fatalf("state %v reason %q", in.State, in.Reason)
	}
}

func TestFuelFromPolicy(t *testing.T) {
	st := policyHome(t, map[string]string{"metered.toml": "[module]\nmatch = \"metered\"\n\n[limits]\nfuel = 2000000\n"})
	k := newKernel(t, Config{Policies: st})
	loop := watModule(t, k, "metered", wat(watLoop))
	start := time.Now()
	// The policy lowers a larger budget from the caller.
	in := wait(t, spawn(t, k, loop, SpawnOptions{Limits: Limits{Deadline: -1, Fuel: 1 << 40}}), 10*time.Second)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("2M fuel units took %v to run out", took)
	}
	want := "out of fuel: used its limits.fuel budget of 2000000 units (set by policy "
	if in.State != Crashed || !strings.HasPrefix(in.Reason, want) ||
		!strings.Contains(in.Reason, string(filepath.Separator)+filepath.Join("policies", "metered.toml:5")+"); raise limits.fuel there") {
		t.Fatalf("state %v reason %q, want %q... metered.toml:5", in.State, in.Reason, want)
	}
	if in.Limits.Fuel != 2000000 || in.Fuel != 2000000 {
		t.Fatalf("fuel %d of %d", in.Fuel, in.Limits.Fuel)
	}
}

func TestFuelCompileCache(t *testing.T) {
	home := testenv.Home(t)
	wasm, err := wasmtime.Wat2Wasm(countWAT(1000))
	if err != nil {
		t.Fatal(err)
	}
	run := func(wantCached bool) {
		t.Helper()
		k := newKernel(t, Config{AllowAll: true, Home: home})
		m, err := k.Load("count", "count.wasm", wasm)
		if err != nil {
			t.Fatal(err)
		}
		in := wait(t, spawn(t, k, m, SpawnOptions{Limits: Limits{Fuel: 1 << 30}}), 10*time.Second)
		if in.State != Exited || in.Fuel == 0 {
			t.Fatalf("state %v fuel %d reason %q", in.State, in.Fuel, in.Reason)
		}
		if m.Cached != wantCached || m.fuel.code.cached != wantCached {
			t.Fatalf("cached: main %v, fuel variant %v; want both %v", m.Cached, m.fuel.code.cached, wantCached)
		}
	}
	run(false)
	ms, _ := filepath.Glob(filepath.Join(home, "cache", "compiled", "*.cwasm"))
	if len(ms) != 2 {
		t.Fatalf("cache holds %v, want the main and the fuel variant", ms)
	}
	run(true) // a second kernel on the same home loads both from disk
	if fp := fingerprintOf([]byte("d")); cacheKeyFor(fp, engineSettings) == cacheKeyFor(fp, fuelEngineSettings) {
		t.Fatal("the two engines share a cache key")
	}
}

func TestFuelSampledWhileRunningAndConcurrentSpawns(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	// A metered process blocked in recv shows what it spent so far.
	p := spawn(t, k, watModule(t, k, "recv", wat(recvLoop)), SpawnOptions{Limits: Limits{Fuel: 1 << 30}})
	waitState(t, p, Blocked, 5*time.Second)
	if in := p.Info(); in.Fuel == 0 || in.Fuel > 1000 || in.Limits.Fuel != 1<<30 {
		t.Fatalf("blocked metered process: fuel %d of %d", in.Fuel, in.Limits.Fuel)
	}
	k.Kill(p.PID(), true)
	wait(t, p, 5*time.Second)

	// Concurrent first metered spawns of one module build its fuel variant once.
	m := watModule(t, k, "count", countWAT(10_000))
	const n = 8
	procs := make(chan *Process, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			p, err := k.Spawn(m, SpawnOptions{Limits: Limits{Fuel: 1 << 30}, Stdout: filepath.Join(t.TempDir(), "out")})
			if err != nil {
				errs <- err
				return
			}
			procs <- p
		}()
	}
	var first *wasmtime.Module
	for range n {
		select {
		case err := <-errs:
			t.Fatal(err)
		case p := <-procs:
			if in := wait(t, p, 10*time.Second); in.State != Exited || in.ExitCode != 0 || in.Fuel == 0 {
				t.Fatalf("state %v code %d fuel %d reason %q", in.State, in.ExitCode, in.Fuel, in.Reason)
			}
			if first == nil {
				first = p.code.mod
			} else if p.code.mod != first {
				t.Fatal("concurrent metered spawns compiled the fuel variant more than once")
			}
		}
	}
}

func TestFuelWithLibraries(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true, Libraries: libSet{"mathlib": mathlib}})
	m := watModule(t, k, "app", libApp)
	in := wait(t, spawn(t, k, m, SpawnOptions{Limits: Limits{Fuel: 1 << 30}}), 10*time.Second)
	if in.State != Exited || in.ExitCode != 0 || in.Fuel == 0 {
		t.Fatalf("metered app with a library: state %v code %d fuel %d reason %q", in.State, in.ExitCode, in.Fuel, in.Reason)
	}
	if len(m.fuel.code.libs) != 1 || m.fuel.code.libs[0].mod == m.libs[0].mod {
		t.Fatal("the library was not compiled for the fuel engine")
	}
	// The library's instructions count against the caller's budget: the app's own code is a
	// few dozen instructions, the library's loops more than that.
	in = wait(t, spawn(t, k, m, SpawnOptions{Limits: Limits{Fuel: 60}}), 10*time.Second)
	if in.State != Crashed || !strings.Contains(in.Reason, "out of fuel: used its fuel budget of 60 units") {
		t.Fatalf("state %v reason %q", in.State, in.Reason)
	}
	if in := wait(t, spawn(t, k, m, SpawnOptions{}), 10*time.Second); in.State != Exited || in.ExitCode != 0 {
		t.Fatalf("unmetered after metered: state %v reason %q", in.State, in.Reason)
	}
}

// BenchmarkFuel runs one tight guest loop (1M iterations of multiply-add) as an unmetered
// process runs it (the main engine) and as a metered one does (the fuel engine, budget set):
// the fuel counter's cost is paid only by processes with Limits.Fuel > 0.
func BenchmarkFuel(b *testing.B) {
	k := newKernel(b, Config{AllowAll: true})
	m := watModule(b, k, "spin", wat(`(func (export "_start"))
  (func (export "spin") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 31)) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))`))
	const iters = 1_000_000
	run := func(b *testing.B, fuel uint64) {
		eng, code, err := k.codeFor(m, fuel)
		if err != nil {
			b.Fatal(err)
		}
		threadBudget(b, 1<<30) // memories are created for a budget only (memlimit_cgo.go)
		store := wasmtime.NewStoreWithData(eng.engine, &Process{k: k})
		defer store.Close()
		store.SetEpochDeadline(1 << 40)
		if fuel > 0 {
			if err := store.SetFuel(fuel); err != nil {
				b.Fatal(err)
			}
		}
		inst, err := eng.linker.Instantiate(store, code.mod)
		if err != nil {
			b.Fatal(err)
		}
		spin := inst.GetFunc(store, "spin")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := spin.Call(store, int32(iters)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*iters), "ns/iter")
	}
	b.Run("base=unmetered", func(b *testing.B) { run(b, 0) })
	b.Run("metered", func(b *testing.B) { run(b, 1<<62) })
}
