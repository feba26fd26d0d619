package system

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/kernel"
)

// BenchmarkServiceCall: a call of a service by name (the call host function, the [bus] call
// door, the instance's dispatcher, the reactor's handler on its own thread and back) beside
// the bus's raw request/reply between two guests (request on a topic; a command module that
// receives it and replies), 64-byte payloads, in one instance under policies. Each run is one
// guest making callRounds round trips; ns/op is per round trip. Goal: call <= 1.2x base.
func BenchmarkServiceCall(b *testing.B) {
	const callRounds = 5000
	home := testenv.Home(b)
	for name, pol := range map[string]string{
		"benchcall": "[bus]\ncall = [\"benchsvc\"]\n",
		"benchreq":  "[bus]\nrequest = [\"bench.rtt\"]\n",
		"benchrsp":  "[bus]\nsubscribe = [\"bench.rtt\"]\n",
	} {
		writePolicy(b, home, name, pol)
	}
	installWasm(b, home, reactorWasm(b), "benchsvc", "service", "idle_timeout = \"never\"\n")
	in, _ := start(b, Config{Home: home})
	load := func(name, wat string) *kernel.Module {
		wasm, err := wasmtime.Wat2Wasm(wat)
		if err != nil {
			b.Fatal(err)
		}
		m, err := in.k.Load(name, name+".wasm", wasm)
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	payload := `(data (i32.const 256) "echo")`
	caller := load("benchcall", roundsWAT(callRounds, `(import "orbital" "call" (func $op (param i32 i32 i32 i32 i32 i32 i64) (result i32)))`,
		`(data (i32.const 0) "benchsvc.echo")`+payload, 13))
	requester := load("benchreq", roundsWAT(callRounds, `(import "orbital" "request" (func $op (param i32 i32 i32 i32 i32 i32 i64) (result i32)))`,
		`(data (i32.const 0) "bench.rtt")`+payload, 9))
	responder := load("benchrsp", responderWAT)
	run := func(b *testing.B, m *kernel.Module) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := in.Spawn(m, kernel.SpawnOptions{}, "benchmark")
			if err != nil {
				b.Fatal(err)
			}
			if info := waitEnd(b, p); info.ExitCode != 0 {
				b.Fatalf("%s: exit %d (%s)", info.Name, info.ExitCode, info.Reason)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*callRounds), "ns/op")
	}
	b.Run("base=bus-request", func(b *testing.B) {
		rsp, err := in.Spawn(responder, kernel.SpawnOptions{}, "benchmark")
		if err != nil {
			b.Fatal(err)
		}
		defer in.Stop(rsp.PID(), true)
		testenv.Eventually(b, func() bool { return in.k.Bus().Subscribers("bench.rtt") > 0 }, 10*time.Second, "the responder subscribed")
		run(b, requester)
	})
	b.Run("call-by-name", func(b *testing.B) {
		if _, err := in.CallName(b.Context(), "benchsvc.echo", nil, 10*time.Second); err != nil {
			b.Fatal(err) // the service runs before the timing starts, as the responder does
		}
		run(b, caller)
	})
}

// roundsWAT makes n round trips with $op (call or request: name at 0, a 64-byte payload at
// 256, the reply at 1024) and exits 0, or with the error code negated.
func roundsWAT(n int, imp, data string, nameLen int) string {
	return fmt.Sprintf(`(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  %s
  (memory (export "memory") 1)
  %s
  (func (export "_start") (local $i i32) (local $r i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (i32.const %d)))
      (local.set $r (call $op (i32.const 0) (i32.const %d) (i32.const 256) (i32.const 64) (i32.const 1024) (i32.const 4096) (i64.const -1)))
      (if (i32.lt_s (local.get $r) (i32.const 0)) (then (call $exit (i32.sub (i32.const 0) (local.get $r)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $exit (i32.const 0))))`, imp, data, n, nameLen)
}

// responderWAT answers every request on bench.rtt with its payload, until a quit request.
const responderWAT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (import "orbital" "subscribe" (func $subscribe (param i32 i32 i32) (result i32)))
  (import "orbital" "reply" (func $reply (param i64 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "bench.rtt")
  (func (export "_start")
    (drop (call $subscribe (i32.const 0) (i32.const 9) (i32.const 0)))
    (loop $l
      (if (i32.lt_s (call $recv (i32.const 1024) (i32.const 8192) (i64.const -1)) (i32.const 0)) (then (call $exit (i32.const 0))))
      (if (i32.eq (i32.load (i32.const 1024)) (i32.const 17)) (then (call $exit (i32.const 0))))
      (drop (call $reply (i64.load (i32.const 1032))
        (i32.add (i32.const 1072) (i32.load (i32.const 1040))) (i32.load (i32.const 1044)) (i32.const 0) (i32.const 0)))
      (br $l))))`

func writePolicy(t testing.TB, home, name, grants string) {
	t.Helper()
	dir := filepath.Join(home, "policies")
	os.MkdirAll(dir, 0o700)
	if err := os.WriteFile(filepath.Join(dir, name+".toml"), []byte("[module]\nmatch = \""+name+"\"\n"+grants), 0o600); err != nil {
		t.Fatal(err)
	}
}

func waitEnd(t testing.TB, p *kernel.Process) kernel.Info {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s did not end", p.Name())
	}
	return p.Info()
}
