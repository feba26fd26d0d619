package kernel

import (
	"context"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
)

// BenchmarkSpawn compares a kernel spawn of a small module (store, WASI, limits, epoch
// callback, inbox, thread, _start, teardown) with the same work done on raw wasmtime (its
// own linear memories and copy-on-write images, rawEngineConfig); raw-kernel-memories is that
// raw work on the kernel's engine, whose linear memories the kernel creates (memlimit_cgo.go:
// one ceiling per process) from its own images (memimage.go), to show what they cost.
//
// The three sides run in interleaved rounds (7 x 3000 spawns) and each reports its median
// round, as BenchmarkCartFrame and the cluster benchmarks do: one after another for a second
// each, a shared machine's load moved one side alone by 1.5x within a run. cpu-us/op is the
// CPU time of every thread of the test process (a kernel spawn uses two).
func BenchmarkSpawn(b *testing.B) {
	const rounds, ops = 7, 3000
	src := wat(`(func (export "_start") (drop (call $now)))`)
	wasm, err := wasmtime.Wat2Wasm(src)
	if err != nil {
		b.Fatal(err)
	}
	split, data := splitData(wasm)
	img, _, err := newMemImages(data)
	if err != nil {
		b.Fatal(err)
	}
	k := newKernel(b, Config{AllowAll: true})
	m, err := k.Load("small", "small.wasm", wasm)
	if err != nil {
		b.Fatal(err)
	}
	kernelMemories := rawSpawner(b, engineConfig(), split, img)
	testenv.Interleave(b, rounds, ops, processCPU, "cpu-us/op", 1e3, []testenv.Side{
		{Name: "base=raw-wasmtime", Run: rawSpawner(b, rawEngineConfig(), wasm, nil)},
		{Name: "raw-kernel-memories", Run: func(n int) {
			// The engine creates memories for a budget only (memlimit_cgo.go).
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			bud := newBudget(1<<30, budget{})
			prev := bud.enter()
			defer func() { prev.enter(); bud.release() }()
			kernelMemories(n)
		}},
		{Name: "orbital", Run: func(n int) {
			for range n {
				p, err := k.Spawn(m, SpawnOptions{})
				if err != nil {
					b.Fatal(err)
				}
				<-p.Done()
				k.Forget(p.PID())
			}
		}},
	})
}

// rawSpawner returns BenchmarkSpawn's work on wasmtime alone, n spawns to the end, with an
// engine of configuration cfg (and the kernel's memory images img, for the kernel's engine).
func rawSpawner(b *testing.B, cfg *wasmtime.Config, wasm []byte, img *memImages) func(n int) {
	engine := wasmtime.NewEngineWithConfig(cfg)
	linker := wasmtime.NewLinker(engine)
	if err := linker.DefineWasi(); err != nil {
		b.Fatal(err)
	}
	if err := defineHostFuncs(linker); err != nil {
		b.Fatal(err)
	}
	mod, err := wasmtime.NewModule(engine, wasm)
	if err != nil {
		b.Fatal(err)
	}
	return func(n int) {
		for range n {
			store := wasmtime.NewStoreWithData(engine, &Process{k: &Kernel{}})
			w := wasmtime.NewWasiConfig()
			w.InheritStdout()
			w.InheritStderr()
			store.SetWasi(w)
			store.SetEpochDeadline(1 << 40)
			instantiate := func() (*wasmtime.Instance, error) { return linker.Instantiate(store, mod) }
			var inst *wasmtime.Instance
			var err error
			if img != nil {
				inst, err = instantiateImaged(img, instantiate)
			} else {
				inst, err = instantiate() // raw wasmtime: nothing of the kernel's
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, err := inst.GetFunc(store, "_start").Call(store); err != nil {
				b.Fatal(err)
			}
			store.Close()
		}
	}
}

// cpuMeter measures the CPU time (user and system, every thread of the test process) a
// benchmark used. A shared machine's load moves wall time by 2x between runs and between the
// sub-benchmarks of one run; CPU time much less, so the benchmarks that compare small costs
// report it beside ns/op.
type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{processCPU()} }

// report adds the CPU time per op, in units of scale nanoseconds (1e3: µs), as unit.
func (m cpuMeter) report(b *testing.B, scale float64, unit string) {
	b.ReportMetric(float64(processCPU()-m.start)/float64(b.N)/scale, unit)
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStart starts a 2-3 MB Go module (hello) from its bytes: compiling it every time,
// against loading the compiled code from the disk cache. Both run it to the end.
func BenchmarkStart(b *testing.B) {
	path := testenv.Module(b, "hello")
	wasm, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	start := func(b *testing.B, k *Kernel, wantCached bool) {
		forgetCompiled(b, k) // every iteration starts like a fresh kernel
		m, err := k.Load("hello", path, wasm)
		if err != nil {
			b.Fatal(err)
		}
		if m.Cached != wantCached {
			b.Fatalf("Cached = %v, want %v", m.Cached, wantCached)
		}
		p, err := k.Spawn(m, SpawnOptions{Stdout: os.DevNull, Stderr: os.DevNull})
		if err != nil {
			b.Fatal(err)
		}
		if in, _ := p.Wait(context.Background()); in.ExitCode != 0 {
			b.Fatalf("hello: %+v", in)
		}
	}
	b.Run("base=cold-compile", func(b *testing.B) {
		k := newKernel(b, Config{AllowAll: true}) // no home: no disk cache
		for b.Loop() {
			start(b, k, false)
		}
		b.ReportMetric(float64(len(wasm))/(1<<20), "module-MiB")
	})
	b.Run("cached", func(b *testing.B) {
		k := newKernel(b, Config{AllowAll: true, Home: testenv.Home(b)})
		start(b, k, false) // fill the disk cache
		for b.Loop() {
			start(b, k, true)
		}
		b.ReportMetric(float64(len(wasm))/(1<<20), "module-MiB")
	})
}

// BenchmarkHostCall measures a guest calling orbital.time_monotonic 1000 times per op: through
// the kernel's host-call wrapper (process lookup, kill check, deadline clock, panic guard)
// against a bare wasmtime FuncNew doing the same clock read.
func BenchmarkHostCall(b *testing.B) {
	const calls = 1000
	wasm, err := wasmtime.Wat2Wasm(`(module
  (import "orbital" "time_monotonic" (func $now (result i64)))
  (func (export "spin") (param $n i32)
    (loop $l (drop (call $now))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))))`)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, engine *wasmtime.Engine, linker *wasmtime.Linker, data any) {
		mod, err := wasmtime.NewModule(engine, wasm)
		if err != nil {
			b.Fatal(err)
		}
		store := wasmtime.NewStoreWithData(engine, data)
		defer store.Close()
		store.SetEpochDeadline(1 << 40)
		inst, err := linker.Instantiate(store, mod)
		if err != nil {
			b.Fatal(err)
		}
		spin := inst.GetFunc(store, "spin")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := spin.Call(store, int32(calls)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*calls), "ns/call")
	}
	b.Run("base=raw-wasmtime", func(b *testing.B) {
		engine := wasmtime.NewEngineWithConfig(engineConfig())
		linker := wasmtime.NewLinker(engine)
		ty := wasmtime.NewFuncType(nil, []*wasmtime.ValType{wasmtime.NewValType(wasmtime.KindI64)})
		if err := linker.FuncNew("orbital", "time_monotonic", ty, func(*wasmtime.Caller, []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
			return []wasmtime.Val{wasmtime.ValI64(monoNow())}, nil
		}); err != nil {
			b.Fatal(err)
		}
		run(b, engine, linker, nil)
	})
	b.Run("orbital", func(b *testing.B) {
		k := newKernel(b, Config{AllowAll: true})
		p := &Process{k: k, opts: SpawnOptions{Limits: k.cfg.Limits}}
		run(b, k.engine, k.linker, p)
	})
}

// rawEngineConfig is the kernel's code generation (epoch interruption, Cranelift, speed) with
// everything else wasmtime's default, its own linear memories and copy-on-write memory images
// included: the raw wasmtime the benchmarks compare the kernel with.
func rawEngineConfig() *wasmtime.Config {
	c := wasmtime.NewConfig()
	c.SetEpochInterruption(true)
	c.SetCraneliftOptLevel(wasmtime.OptLevelSpeed)
	c.SetStrategy(wasmtime.StrategyCranelift)
	return c
}
