package kernel

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
)

// probeOpts shape the WAT module of the reload tests (probeWAT).
type probeOpts struct {
	version     int   // answered to requests
	noState     bool  // no orbital_reload_save / orbital_reload_restore exports
	saveResult  int64 // orbital_reload_save answers this instead of its state (0: the state)
	restoreCode int32 // orbital_reload_restore answers this after reading the state
	trapAtStart bool  // unreachable before the first recv
	surface     bool  // opens a 64x64 surface titled "probe" first
	badImport   bool  // imports orbital.log with the wrong type: loads, does not link
	spin        bool  // never calls recv: no safe point
}

// probeWAT is a module that subscribes to "probe" and counts the messages it receives; a
// request gets (version, count, mine) back as three u32, mine counting only what this code
// (not an older one) handled. A direct message whose payload starts with
// 'g' makes it wait in request("gate") until the test answers (it is then busy, not at its
// safe point). Its state (the count, 4 bytes) crosses reloads through the export pair.
func probeWAT(o probeOpts) string {
	var b strings.Builder
	b.WriteString(`(module
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (import "orbital" "subscribe" (func $subscribe (param i32 i32 i32) (result i32)))
  (import "orbital" "reply" (func $reply (param i64 i32 i32 i32 i32) (result i32)))
  (import "orbital" "request" (func $request (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "orbital" "region_read" (func $region_read (param i32 i64 i32 i32) (result i32)))
  (import "orbital" "surface_create" (func $surface_create (param i32 i32 i32 i32) (result i32)))
`)
	if o.badImport {
		b.WriteString(`  (import "orbital" "log" (func $log (param i32) (result i32)))` + "\n")
	}
	fmt.Fprintf(&b, `  (memory (export "memory") 1)
  (data (i32.const 16) "probe")
  (data (i32.const 32) "gate")
  (global $count (mut i32) (i32.const 0))
  (global $mine (mut i32) (i32.const 0))
`)
	if !o.noState {
		save := fmt.Sprintf(`(i64.const %d)`, o.saveResult)
		if o.saveResult == 0 {
			save = `(i32.store (i32.const 1100) (global.get $count))
    (i64.or (i64.shl (i64.const 4) (i64.const 32)) (i64.const 1100))`
		}
		fmt.Fprintf(&b, `  (func (export "orbital_reload_save") (result i64)
    %s)
  (func (export "orbital_reload_restore") (param $h i32) (param $n i32) (result i32)
    (if (i32.ne (local.get $n) (i32.const 4)) (then (return (i32.const -1))))
    (drop (call $region_read (local.get $h) (i64.const 0) (i32.const 1100) (i32.const 4)))
    (global.set $count (i32.load (i32.const 1100)))
    (i32.const %d))
`, save, o.restoreCode)
	}
	b.WriteString("  (func (export \"_start\") (local $n i32) (local $kind i32)\n")
	if o.trapAtStart {
		b.WriteString("    unreachable\n")
	}
	if o.spin {
		b.WriteString("    (loop $spin (br $spin))\n")
	}
	if o.surface {
		b.WriteString("    (drop (call $surface_create (i32.const 64) (i32.const 64) (i32.const 16) (i32.const 5)))\n")
	}
	fmt.Fprintf(&b, `    (drop (call $subscribe (i32.const 16) (i32.const 5) (i32.const 0)))
    (loop $l
      (local.set $n (call $recv (i32.const 4096) (i32.const 4096) (i64.const -1)))
      (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return)))
      (local.set $kind (i32.load (i32.const 4096)))
      (if (i32.eq (local.get $kind) (i32.const 17)) (then (return)))
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (global.set $mine (i32.add (global.get $mine) (i32.const 1)))
      (if (i32.eq (local.get $kind) (i32.const 3)) (then
        (i32.store (i32.const 1024) (i32.const %d))
        (i32.store (i32.const 1028) (global.get $count))
        (i32.store (i32.const 1032) (global.get $mine))
        (drop (call $reply (i64.load (i32.const 4104)) (i32.const 1024) (i32.const 12) (i32.const 0) (i32.const 0)))))
      (if (i32.and (i32.eq (local.get $kind) (i32.const 1)) (i32.eq (i32.load8_u (i32.const 4144)) (i32.const 103))) (then
        (drop (call $request (i32.const 32) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 8192) (i32.const 1024) (i64.const -1)))))
      (br $l))))
`, o.version)
	return b.String()
}

// ask sends a request on "probe" and returns the answer: the version of the code that handled
// it, the count across versions and the count of that code alone.
func ask(t testing.TB, k *Kernel) (version, count, mine uint32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := k.Bus().Request(ctx, bus.Message{Topic: "probe"}, 10*time.Second)
	if err != nil {
		t.Fatalf("request probe: %v", err)
	}
	if len(m.Payload) != 12 {
		t.Fatalf("reply %q: want 12 bytes", m.Payload)
	}
	le := binary.LittleEndian
	return le.Uint32(m.Payload), le.Uint32(m.Payload[4:]), le.Uint32(m.Payload[8:])
}

// gate is the test's side of the probe's request("gate"): it holds a probe busy until open.
type gate struct {
	k     *Kernel
	inbox *bus.Inbox
	req   bus.Message
}

// closeGate subscribes a test inbox to "gate" and sends the probe pid the message that makes
// it wait there; it returns once the probe is waiting.
func closeGate(t *testing.T, k *Kernel, pid bus.PID) *gate {
	t.Helper()
	const gatePID = 1 << 19
	in, err := k.Bus().Attach(gatePID, bus.InboxLimits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Bus().Detach(gatePID) })
	if _, err := k.Bus().Subscribe(gatePID, "gate", bus.Reliable); err != nil {
		t.Fatal(err)
	}
	if err := k.Bus().Post(bus.Message{Kind: bus.KindDirect, To: pid, Payload: []byte("g")}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := in.Recv(ctx)
	if err != nil {
		t.Fatalf("the probe did not reach the gate: %v", err)
	}
	return &gate{k: k, inbox: in, req: req}
}

func (g *gate) open(t *testing.T) {
	t.Helper()
	if err := g.k.Bus().Reply(bus.Message{From: g.inbox.PID(), Corr: g.req.Corr}); err != nil {
		t.Fatalf("open gate: %v", err)
	}
}

// reloadAsync runs Reload in the background and returns once the request is posted.
func reloadAsync(t *testing.T, k *Kernel, p *Process, m *Module, ro ReloadOptions) <-chan reloadAnswer {
	t.Helper()
	out := make(chan reloadAnswer, 1)
	go func() {
		res, err := k.Reload(context.Background(), p.PID(), m, ro)
		out <- reloadAnswer{res, err}
	}()
	var early *reloadAnswer
	testenv.Eventually(t, func() bool {
		select {
		case a := <-out:
			early = &a
			return true
		default:
			return p.reloadReq.Load() != nil
		}
	}, 10*time.Second, "the reload request of pid %d is posted", p.PID())
	if early != nil {
		t.Fatalf("reload ended before it was posted: %+v", *early)
	}
	return out
}

type reloadAnswer struct {
	res ReloadResult
	err error
}
