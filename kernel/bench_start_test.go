package kernel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
)

// BenchmarkCachedStart starts the hello Go module (2.8 MB) from the disk cache as a fresh
// kernel would and runs it to its end (the Go runtime's start, two lines printed);
// instance-ms is the part until the instance exists and _start is about to run: Load (the
// cache entry copied, checked and mapped, the bytes' sha256 computed meanwhile) and Spawn.
// orbital-digest-known loads as the registry does, with the digest it verified (LoadDigest).
// base=raw-deserialize-file is wasmtime alone (rawEngineConfig) on its own serialized module:
// deserialize from the file and instantiate (its instance-ms is its whole op);
// raw-deserialize-file-run also runs _start to its end, the same work as the kernel's op, so
// the time after instance-ms (the Go guest's own start) can be read against raw wasmtime's.
func BenchmarkCachedStart(b *testing.B) {
	path := testenv.Module(b, "hello")
	wasm, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	k := newKernel(b, Config{AllowAll: true, Home: testenv.Home(b)})
	if _, err := k.Load("hello", path, wasm); err != nil { // fill the disk cache
		b.Fatal(err)
	}
	b.Run("base=raw-deserialize-file", func(b *testing.B) { rawCachedStart(b, wasm, false) })
	b.Run("raw-deserialize-file-run", func(b *testing.B) { rawCachedStart(b, wasm, true) })
	sum := sha256.Sum256(wasm)
	digest := hex.EncodeToString(sum[:])
	b.Run("orbital", func(b *testing.B) { cachedStart(b, k, path, wasm, "") })
	b.Run("orbital-digest-known", func(b *testing.B) { cachedStart(b, k, path, wasm, digest) })
}

// rawCachedStart is BenchmarkCachedStart's op on wasmtime alone: deserialize its own
// serialized module from the file and instantiate it, and with run, run _start to its end as
// the kernel's op does (stdout and stderr to /dev/null, the orbital functions stubs).
func rawCachedStart(b *testing.B, wasm []byte, run bool) {
	engine := wasmtime.NewEngineWithConfig(rawEngineConfig())
	entry := filepath.Join(b.TempDir(), "hello.cwasm")
	if mod, err := wasmtime.NewModule(engine, wasm); err != nil {
		b.Fatal(err)
	} else if ser, err := mod.Serialize(); err != nil || os.WriteFile(entry, ser, 0o644) != nil {
		b.Fatal("serialize", err)
	}
	linker := wasmtime.NewLinker(engine)
	if run { // raw wasmtime's WASI, the orbital functions hello calls (log, pid) as stubs
		linker, _, _ = rawIdleLinker(b, engine)
	} else if err := linker.DefineWasi(); err != nil {
		b.Fatal(err)
	} else if err := defineHostFuncs(linker); err != nil {
		b.Fatal(err)
	}
	var toInstance []float64
	cpu := startCPU()
	for b.Loop() {
		t0 := time.Now()
		mod, err := wasmtime.NewModuleDeserializeFile(engine, entry)
		if err != nil {
			b.Fatal(err)
		}
		store := wasmtime.NewStore(engine)
		w := wasmtime.NewWasiConfig()
		if run {
			w.SetArgv([]string{"hello"})
			if w.SetStdoutFile(os.DevNull) != nil || w.SetStderrFile(os.DevNull) != nil {
				b.Fatal("wasi outputs")
			}
			store.SetEpochDeadline(1 << 40)
		}
		store.SetWasi(w)
		inst, err := linker.Instantiate(store, mod)
		if err != nil {
			b.Fatal(err)
		}
		toInstance = append(toInstance, float64(time.Since(t0).Nanoseconds())/1e6)
		if run {
			if _, err := inst.GetFunc(store, "_start").Call(store); !exitedZero(err) {
				b.Fatalf("hello: %v", err)
			}
		}
		store.Close()
		mod.Close() // not left to a finalizer: thousands of mapped modules slow what follows
	}
	reportInstance(b, toInstance)
	cpu.report(b, 1e6, "cpu-ms/op")
}

// exitedZero reports whether _start's err is none or wasmtime's proc_exit(0).
func exitedZero(err error) bool {
	var werr *wasmtime.Error
	if err == nil {
		return true
	}
	if !errors.As(err, &werr) {
		return false
	}
	status, ok := werr.ExitStatus()
	return ok && status == 0
}

// cachedStart is BenchmarkCachedStart's op on kernel k: load wasm (with its digest, if not
// empty) from the disk cache, spawn it and wait for its end.
func cachedStart(b *testing.B, k *Kernel, path string, wasm []byte, digest string) {
	var toInstance []float64
	var cpu time.Duration
	for b.Loop() {
		forgetCompiled(b, k)
		c0, t0 := processCPU(), time.Now()
		var m *Module
		var err error
		if digest == "" {
			m, err = k.Load("hello", path, wasm)
		} else {
			m, err = k.LoadDigest("hello", path, wasm, digest)
		}
		if err != nil || !m.Cached {
			b.Fatalf("load: cached %v, %v", m != nil && m.Cached, err)
		}
		p, err := k.Spawn(m, SpawnOptions{Stdout: os.DevNull, Stderr: os.DevNull})
		if err != nil {
			b.Fatal(err)
		}
		toInstance = append(toInstance, float64(time.Since(t0).Nanoseconds())/1e6)
		if in, _ := p.Wait(context.Background()); in.ExitCode != 0 {
			b.Fatalf("hello: %+v", in)
		}
		cpu += processCPU() - c0
		k.Forget(p.PID())
	}
	reportInstance(b, toInstance)
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
}

// reportInstance reports the ops' times until the instance existed, in ms: the median
// (instance-ms, what a start typically takes; a mean until 2026-12-03, which one op held up
// by the shared machine could move by a tenth) and the 90th percentile beside it.
func reportInstance(b *testing.B, ms []float64) {
	slices.Sort(ms)
	b.ReportMetric(ms[len(ms)/2], "instance-ms")
	b.ReportMetric(ms[len(ms)*9/10], "instance-p90-ms")
}

// forgetCompiled empties the kernel's in-memory compile cache, as in a fresh kernel, and (with
// the timer stopped) collects the modules dropped, whose mappings only their finalizers
// release: a hundred 9 MB modules left mapped slow every iteration that follows. It waits for
// the finalizers too: they run on their own goroutine after the collection, and left running
// they unmapped the last iteration's module during the next timed op.
func forgetCompiled(b *testing.B, k *Kernel) {
	b.StopTimer()
	defer b.StartTimer()
	k.cache.mu.Lock()
	clear(k.cache.mem)
	k.cache.lru.Init()
	k.cache.memBytes = 0
	k.cache.mu.Unlock()
	runtime.GC()
	waitFinalizers(b)
}

// waitFinalizers waits until every finalizer queued so far has run.
func waitFinalizers(b *testing.B) {
	s := []metrics.Sample{{Name: "/gc/finalizers/queued:finalizers"}, {Name: "/gc/finalizers/executed:finalizers"}}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Microsecond) {
		metrics.Read(s)
		if s[1].Value.Uint64() >= s[0].Value.Uint64() {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("finalizers: %d of %d run after 10 s", s[1].Value.Uint64(), s[0].Value.Uint64())
		}
	}
}
