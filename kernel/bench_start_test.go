package kernel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
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
// deserialize from the file and instantiate (its instance-ms is its whole op).
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
	b.Run("base=raw-deserialize-file", func(b *testing.B) {
		engine := wasmtime.NewEngineWithConfig(rawEngineConfig())
		entry := filepath.Join(b.TempDir(), "hello.cwasm")
		if mod, err := wasmtime.NewModule(engine, wasm); err != nil {
			b.Fatal(err)
		} else if ser, err := mod.Serialize(); err != nil || os.WriteFile(entry, ser, 0o644) != nil {
			b.Fatal("serialize", err)
		}
		linker := wasmtime.NewLinker(engine)
		if err := linker.DefineWasi(); err != nil {
			b.Fatal(err)
		}
		if err := defineHostFuncs(linker); err != nil {
			b.Fatal(err)
		}
		cpu := startCPU()
		for b.Loop() {
			mod, err := wasmtime.NewModuleDeserializeFile(engine, entry)
			if err != nil {
				b.Fatal(err)
			}
			store := wasmtime.NewStore(engine)
			store.SetWasi(wasmtime.NewWasiConfig())
			if _, err := linker.Instantiate(store, mod); err != nil {
				b.Fatal(err)
			}
			store.Close()
			mod.Close() // not left to a finalizer: thousands of mapped modules slow what follows
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "instance-ms")
		cpu.report(b, 1e6, "cpu-ms/op")
	})
	sum := sha256.Sum256(wasm)
	digest := hex.EncodeToString(sum[:])
	b.Run("orbital", func(b *testing.B) { cachedStart(b, k, path, wasm, "") })
	b.Run("orbital-digest-known", func(b *testing.B) { cachedStart(b, k, path, wasm, digest) })
}

// cachedStart is BenchmarkCachedStart's op on kernel k: load wasm (with its digest, if not
// empty) from the disk cache, spawn it and wait for its end.
func cachedStart(b *testing.B, k *Kernel, path string, wasm []byte, digest string) {
	var toInstance, cpu time.Duration
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
		toInstance += time.Since(t0)
		if in, _ := p.Wait(context.Background()); in.ExitCode != 0 {
			b.Fatalf("hello: %+v", in)
		}
		cpu += processCPU() - c0
		k.Forget(p.PID())
	}
	b.ReportMetric(float64(toInstance.Nanoseconds())/float64(b.N)/1e6, "instance-ms")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
}

// forgetCompiled empties the kernel's in-memory compile cache, as in a fresh kernel, and (with
// the timer stopped) collects the modules dropped, whose mappings only their finalizers
// release: a hundred 9 MB modules left mapped slow every iteration that follows.
func forgetCompiled(b *testing.B, k *Kernel) {
	b.StopTimer()
	defer b.StartTimer()
	runtime.GC()
	k.cache.mu.Lock()
	clear(k.cache.mem)
	k.cache.lru.Init()
	k.cache.memBytes = 0
	k.cache.mu.Unlock()
}
