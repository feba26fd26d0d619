package kernel

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
)

// TestSurfacePresentRegion presents a 2x2 picture from a region (at an offset, rows padded),
// and checks the refusals: no surface, a stale handle, a picture past the region's end.
func TestSurfacePresentRegion(t *testing.T) {
	d := newFrameDisplay()
	k := newKernel(t, Config{AllowAll: true, Display: d})
	run := func(call string) int {
		t.Helper()
		src := `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "surface_create" (func $surface_create (param i32 i32 i32 i32) (result i32)))
  (import "orbital" "surface_present_region" (func $present (param i32 i32 i64 i32) (result i32)))
  (import "orbital" "region_create" (func $rcreate (param i64) (result i32)))
  (import "orbital" "region_write" (func $rwrite (param i32 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (data (i32.const 64) "\01\02\03\04\05\06\07\08\00\00\00\00\09\0a\0b\0c\0d\0e\0f\10")
  (func (export "_start") (local $sid i32) (local $h i32)
    (local.set $sid (call $surface_create (i32.const 2) (i32.const 2) (i32.const 16) (i32.const 5)))
    (local.set $h (call $rcreate (i64.const 24)))
    (drop (call $rwrite (local.get $h) (i64.const 4) (i32.const 64) (i32.const 20)))
    (call $exit (i32.sub (i32.const 0) ` + call + `))))`
		m := watModule(t, k, fmt.Sprintf("present%d", len(call)), src)
		return wait(t, spawn(t, k, m, SpawnOptions{UI: true}), 5*time.Second).ExitCode
	}
	if code := run(`(call $present (local.get $sid) (local.get $h) (i64.const 4) (i32.const 12))`); code != 0 {
		t.Fatalf("present: exit %d", code)
	}
	img, n := d.last("hello")
	if n != 1 || img.Pix[0] != 1 || img.Pix[7] != 8 || img.Pix[8] != 9 || img.Pix[15] != 16 {
		t.Fatalf("presented %d times: %v", n, img.Pix)
	}
	for _, tc := range []struct {
		call string
		code int32
	}{
		{`(call $present (i32.const 9) (local.get $h) (i64.const 0) (i32.const 8))`, errNotFound},
		{`(call $present (local.get $sid) (i32.const 77) (i64.const 0) (i32.const 8))`, errNotFound},
		{`(call $present (local.get $sid) (local.get $h) (i64.const 8) (i32.const 12))`, errInvalid},
		{`(call $present (local.get $sid) (local.get $h) (i64.const 0) (i32.const 4))`, errInvalid},
	} {
		if code := run(tc.call); code != -int(tc.code) {
			t.Errorf("%s: exit %d, want %d (%s)", tc.call, code, -tc.code, codeName(tc.code))
		}
	}
}

// TestRequestRegions sends a request with a region attached (request_regions): the responder
// receives a handle to the same memory and answers with the byte it reads there.
func TestRequestRegions(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	b := k.Bus()
	const responder = 900
	in, err := b.Attach(responder, bus.InboxLimits{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Detach(responder)
	if _, err := b.Subscribe(responder, "t.req", bus.Reliable); err != nil {
		t.Fatal(err)
	}
	go func() {
		m, err := in.Recv(context.Background())
		if err != nil || len(m.Regions) != 1 {
			return
		}
		one := make([]byte, 1)
		b.RegionRead(responder, m.Regions[0].Handle, 0, one)
		b.RegionRelease(responder, m.Regions[0].Handle)
		b.Reply(bus.Message{From: responder, Corr: m.Corr, Payload: one})
	}()
	src := `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "request_regions" (func $req (param i32 i32 i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "orbital" "region_create" (func $rcreate (param i64) (result i32)))
  (import "orbital" "region_write" (func $rwrite (param i32 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "t.req")
  (data (i32.const 32) "\2a")
  (func (export "_start") (local $h i32) (local $n i32)
    (local.set $h (call $rcreate (i64.const 64)))
    (drop (call $rwrite (local.get $h) (i64.const 0) (i32.const 32) (i32.const 1)))
    (i32.store (i32.const 40) (local.get $h))
    (i32.store (i32.const 44) (i32.const 1))
    (local.set $n (call $req (i32.const 16) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 40) (i32.const 1) (i32.const 1024) (i32.const 4096) (i64.const 5000000000)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (call $exit (i32.sub (i32.const 0) (local.get $n)))))
    (call $exit (i32.load8_u (i32.add (i32.const 1024) (i32.sub (local.get $n) (i32.const 1)))))))`
	m := watModule(t, k, "reqregions", src)
	if code := wait(t, spawn(t, k, m, SpawnOptions{}), 10*time.Second).ExitCode; code != 42 {
		t.Fatalf("exit %d, want 42 (the byte the responder read in the region)", code)
	}
}
