package kernel

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
)

// idleProcs is how many idle Go modules BenchmarkIdleMemory starts per op.
const idleProcs = 50

// BenchmarkIdleMemory measures what an idle Go module (ponger: subscribed, blocked in recv)
// adds to the process's resident memory: idleProcs of them spawned by the kernel, against the
// same module instantiated by raw wasmtime, each on its own locked thread, with host
// functions that do nothing but block recv (base=raw-wasmtime). rss-KiB/proc is the growth of
// VmRSS divided by idleProcs, measured once all are blocked.
func BenchmarkIdleMemory(b *testing.B) {
	wasm, err := os.ReadFile(testenv.Module(b, "ponger"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("base=raw-wasmtime", func(b *testing.B) {
		engine := wasmtime.NewEngineWithConfig(rawEngineConfig())
		mod, err := wasmtime.NewModule(engine, wasm)
		if err != nil {
			b.Fatal(err)
		}
		linker, blocked, release := rawIdleLinker(b, engine)
		var per float64
		for b.Loop() {
			before := rssKiB(b)
			done := make(chan struct{}, idleProcs)
			failed := make(chan error, idleProcs)
			for range idleProcs {
				go func() {
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					store := wasmtime.NewStore(engine)
					w := wasmtime.NewWasiConfig()
					w.SetArgv([]string{"ponger"})
					store.SetWasi(w)
					store.SetEpochDeadline(1 << 40)
					inst, err := linker.Instantiate(store, mod)
					if err == nil {
						_, err = inst.GetFunc(store, "_start").Call(store)
					}
					store.Close()
					done <- struct{}{}
					if err != nil && !strings.Contains(err.Error(), "exit status 0") {
						failed <- err
					}
				}()
			}
			for range idleProcs {
				select {
				case <-blocked:
				case err := <-failed:
					b.Fatalf("raw ponger ended before it blocked: %v", err)
				}
			}
			per = float64(rssKiB(b)-before) / idleProcs
			for range idleProcs {
				release <- struct{}{}
			}
			for range idleProcs {
				<-done
			}
		}
		b.ReportMetric(per, "rss-KiB/proc")
	})
	b.Run("orbital", func(b *testing.B) {
		k := newKernel(b, Config{AllowAll: true})
		m, err := k.Load("ponger", "ponger.wasm", wasm)
		if err != nil {
			b.Fatal(err)
		}
		var per float64
		for b.Loop() {
			before := rssKiB(b)
			ps := make([]*Process, idleProcs)
			for i := range ps {
				if ps[i], err = k.Spawn(m, SpawnOptions{Stdout: os.DevNull, Stderr: os.DevNull}); err != nil {
					b.Fatal(err)
				}
			}
			for _, p := range ps {
				testenv.Eventually(b, func() bool {
					in := p.Info()
					if in.State.Done() {
						b.Fatalf("ponger ended before it blocked: %s", in.Reason)
					}
					return in.State == Blocked
				}, 30*time.Second)
			}
			per = float64(rssKiB(b)-before) / idleProcs
			for _, p := range ps {
				k.Kill(p.PID(), true)
			}
			for _, p := range ps {
				<-p.Done()
				k.Forget(p.PID())
			}
		}
		b.ReportMetric(per, "rss-KiB/proc")
	})
}

// rawIdleLinker is WASI plus every orbital function as a stub returning zeros, except recv,
// which reports on blocked and then waits for release: an idle guest without the kernel.
func rawIdleLinker(b *testing.B, engine *wasmtime.Engine) (*wasmtime.Linker, chan struct{}, chan struct{}) {
	linker := wasmtime.NewLinker(engine)
	if err := linker.DefineWasi(); err != nil {
		b.Fatal(err)
	}
	blocked, release := make(chan struct{}, idleProcs), make(chan struct{})
	for _, f := range hostFuncs {
		ps := make([]*wasmtime.ValType, len(f.params))
		for i, k := range f.params {
			ps[i] = wasmtime.NewValType(k)
		}
		rs := make([]*wasmtime.ValType, len(f.results))
		zero := make([]wasmtime.Val, len(f.results))
		for i, k := range f.results {
			rs[i] = wasmtime.NewValType(k)
			if k == wasmtime.KindI64 {
				zero[i] = wasmtime.ValI64(0)
			} else {
				zero[i] = wasmtime.ValI32(0)
			}
		}
		name := f.name
		err := linker.FuncNew(abiModule, name, wasmtime.NewFuncType(ps, rs), func(*wasmtime.Caller, []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
			if name == "recv" {
				blocked <- struct{}{}
				<-release
				return []wasmtime.Val{wasmtime.ValI32(errClosed)}, nil
			}
			return zero, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return linker, blocked, release
}

// rssKiB is this process's resident set after a GC has returned what it can to the system.
func rssKiB(b *testing.B) int64 {
	runtime.GC()
	debug.FreeOSMemory()
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}
