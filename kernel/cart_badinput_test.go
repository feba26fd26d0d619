package kernel

import (
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// TestCartBadInput: carts that misbehave end with a reason that says what happened, or have
// the call clipped and keep running (a warning in the log); the kernel and other carts go on.
func TestCartBadInput(t *testing.T) {
	r := newCartRig(t, "")
	// A healthy cart keeps running beside the bad ones.
	healthy := r.runUntilReady(t, loadCart(t, r.k, "healthy", readCart(t, "shapes")), SpawnOptions{})

	ends := []struct {
		name, body, reason string
		deadline           time.Duration
	}{
		{"oob", `(func (export "update") (i32.store (i32.const 0x10000) (i32.const 1)))`,
			"(a cart has 64 KiB of memory; it read or wrote past its end)", 0},
		{"spin", `(func (export "update") (loop $l (br $l)))`, "deadline exceeded", 300 * time.Millisecond},
		{"spin-drawing", `(func (export "update") (loop $l (call $rect (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 4)) (br $l)))`,
			"deadline exceeded", 300 * time.Millisecond},
		{"start-traps", `(func (export "start") unreachable)`, "trap in start: unreachable instruction executed", 0},
		{"divide", `(func (export "update") (drop (i32.div_u (i32.const 1) (i32.load (i32.const 0x3000)))))`, "trap in update: integer divide by zero", 0},
	}
	for _, c := range ends {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p, err := r.k.Spawn(loadCart(t, r.k, c.name, c.body), SpawnOptions{UI: true, Limits: Limits{Deadline: c.deadline}})
			if err != nil {
				t.Fatal(err)
			}
			in := wait(t, p, 10*time.Second)
			if in.State != Crashed || !strings.Contains(in.Reason, c.reason) {
				t.Fatalf("%s: %v %q, want crashed with %q", c.name, in.State, in.Reason, c.reason)
			}
		})
	}

	clipped := []struct{ name, body, warning string }{
		{"blit-past-end", `(func (export "update") (call $blit (i32.const 0xfff0) (i32.const 0) (i32.const 0) (i32.const 64) (i32.const 64) (i32.const 1)) (call $ready))`,
			"blit: the sprite at 0xfff0 (64x64, stride 64) reads past the end of the cart's 64 KiB"},
		{"blit-huge", `(func (export "update") (call $blit (i32.const 0x100) (i32.const -5) (i32.const -5) (i32.const 0x7fffffff) (i32.const 0x7fffffff) (i32.const 0))
			(call $blit (i32.const 0x100) (i32.const 0) (i32.const 0) (i32.const 0x80000000) (i32.const 8) (i32.const 0)) (call $ready))`,
			"blit: the sprite at 0x100 (2147483647x2147483647"},
		{"blitsub-far", `(func (export "update") (call $blitSub (i32.const 0x20000) (i32.const 0) (i32.const 0) (i32.const 8) (i32.const 8) (i32.const 0) (i32.const 0) (i32.const 8) (i32.const 0)) (call $ready))`,
			"blitSub: the sprite at 0x20000"},
		{"tracef-off-stack", `(data (i32.const 0x2000) "%d %d %d %s %f\00")
			(func (export "update") (call $tracef (i32.const 0x2000) (i32.const 0xfff8)) (call $ready))`,
			"tracef: the format at 0x2000 or its arguments from 0xfff8 run past the end"},
		{"text-no-nul", `(func (export "start") (memory.fill (i32.const 0xff00) (i32.const 65) (i32.const 0x100)))
			(func (export "update") (call $text (i32.const 0xff00) (i32.const 0) (i32.const 0)) (call $ready))`,
			"text: the string at 0xff00 has no NUL"},
		{"text-utf8-far", `(func (export "update") (call $textUtf8 (i32.const 0xfff0) (i32.const 0x7fffffff) (i32.const 0) (i32.const 0)) (call $ready))`,
			"textUtf8: 2147483647 bytes at 0xfff0 run past the end"},
		{"huge-shapes", `(func (export "update")
			(call $line (i32.const -2147483648) (i32.const -2147483648) (i32.const 2147483647) (i32.const 2147483647))
			(call $oval (i32.const 0) (i32.const 0) (i32.const 2147483647) (i32.const 2147483647))
			(call $rect (i32.const -2147483648) (i32.const -2147483648) (i32.const 2147483647) (i32.const 2147483647))
			(call $hline (i32.const 2147483647) (i32.const 5) (i32.const 2147483647))
			(call $vline (i32.const 5) (i32.const -2147483648) (i32.const -1))
			(call $ready))`,
			"oval: an oval of 2147483647x2147483647 is larger than 32768 pixels a side; not drawn"},
		{"disk-far", `(func (export "update") (drop (call $diskw (i32.const 0xfffe) (i32.const 1024))) (drop (call $diskr (i32.const 0x10000) (i32.const 4))) (call $ready))`,
			"diskw: 1024 bytes at 0xfffe run past the end"},
	}
	for _, c := range clipped {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := r.runUntilReady(t, loadCart(t, r.k, c.name, c.body), SpawnOptions{})
			if in := p.Info(); in.State.Done() {
				t.Fatalf("%s ended: %v %q", c.name, in.State, in.Reason)
			}
			if !strings.Contains(r.logs.String(), c.name+": "+c.warning) {
				t.Fatalf("no warning %q in the log:\n%s", c.warning, r.logs)
			}
		})
	}
	t.Run("healthy", func(t *testing.T) {
		if in := healthy.Info(); in.State.Done() {
			t.Fatalf("the healthy cart ended: %v %q", in.State, in.Reason)
		}
	})
}

// TestCartRefused: what is not a cart the console can run is refused at load, naming why.
func TestCartRefused(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	for _, c := range []struct{ name, wat, want string }{
		{"foreign-import", `(module (import "env" "memory" (memory 1)) (import "env" "fopen" (func (param i32))))`,
			"a WASM-4 cart that imports env.fopen, which the console does not provide"},
		{"wasi-import", `(module (import "env" "memory" (memory 1)) (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))))`,
			"imports wasi_snapshot_preview1.fd_write"},
		{"two-pages", `(module (import "env" "memory" (memory 2)))`, "wants 2 pages of memory; the console has 1 (64 KiB)"},
		{"bad-signature", `(module (import "env" "memory" (memory 1)) (import "env" "rect" (func (param i32))) (func (export "update") (call 0 (i32.const 1))))`, ""},
	} {
		wasm, err := wasmtime.Wat2Wasm(c.wat)
		if err != nil {
			t.Fatal(err)
		}
		m, err := k.Load(c.name, c.name+".wasm", wasm)
		if c.want == "" { // loads, but cannot link: Spawn says so
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			_, err = k.Spawn(m, SpawnOptions{UI: true})
			if err == nil || !strings.Contains(err.Error(), "rect") {
				t.Errorf("%s: spawn error %v, want one naming rect", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
