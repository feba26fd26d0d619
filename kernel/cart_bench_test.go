package kernel

import (
	"runtime"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/wasm4"
)

// benchCart is a cart with a frame of typical work: a background, 64 moving 8x8 sprites, a
// line of text and some game logic in WASM.
const benchCart = `
  (data (i32.const 0x2000) "\00\00\55\55\aa\aa\ff\ff\1b\1b\1b\1b\e4\e4\e4\e4")
  (data (i32.const 0x2100) "SCORE 0012345\00")
  (func (export "update")
    (local $i i32) (local $f i32) (local $acc i32)
    (local.set $f (i32.add (i32.load (i32.const 0x3000)) (i32.const 1)))
    (i32.store (i32.const 0x3000) (local.get $f))
    (i32.store16 (i32.const 0x14) (i32.const 0x2))
    (call $rect (i32.const 0) (i32.const 0) (i32.const 160) (i32.const 160))
    (i32.store16 (i32.const 0x14) (i32.const 0x4321))
    (loop $l
      (call $blit (i32.const 0x2000)
        (i32.rem_u (i32.add (i32.mul (local.get $i) (i32.const 37)) (local.get $f)) (i32.const 160))
        (i32.rem_u (i32.add (i32.mul (local.get $i) (i32.const 23)) (local.get $f)) (i32.const 160))
        (i32.const 8) (i32.const 8) (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 64))))
    (i32.store16 (i32.const 0x14) (i32.const 0x4))
    (call $text (i32.const 0x2100) (i32.const 4) (i32.const 4))
    (local.set $i (i32.const 0))
    (loop $g
      (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (local.get $f))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $g (i32.lt_u (local.get $i) (i32.const 2000))))
    (i32.store (i32.const 0x3004) (local.get $acc)))`

// copyDisplay's surfaces copy every presented frame, as the compositor's do. With scales
// they also take a pixel scale, as the compositor's do (Surface.SetScale), so a cart presents
// 160x160 at any scale; without, the kernel writes the scaled picture itself.
type copyDisplay struct{ scales bool }

func (d copyDisplay) CreateSurface(_ SurfaceOwner, _ string, w, h int) (Surface, error) {
	s := &copySurface{buf: make([]byte, w*h*4)}
	if d.scales {
		return scaledCopySurface{s}, nil
	}
	return s, nil
}

type copySurface struct{ buf []byte }

type scaledCopySurface struct{ *copySurface }

func (scaledCopySurface) SetScale(int) error { return nil }

func (s *copySurface) Present(pix []byte, stride int) error { copy(s.buf, pix); return nil }
func (s *copySurface) Resize(w, h int) error                { s.buf = make([]byte, w*h*4); return nil }
func (s *copySurface) Close()                               {}

// BenchmarkCartFrame compares one frame of a cart in the kernel (input registers, framebuffer
// cleared, update through the kernel's host-call wrapper, the picture converted to RGBA and
// presented) with raw wasmtime calling update, with the console's drawing functions linked
// bare, and copying the 6400-byte framebuffer out. At scale 3 the display scales the 160x160
// picture (the compositor's pixel scale); kernel-scaled is the same window on a display that
// cannot, where the kernel writes nine times the pixels (how every cart ran before). Each
// also reports cpu-ns/op, the CPU time of its thread per frame.
//
// The four run in interleaved rounds (raw, scale 1, scale 3, kernel-scaled, raw, ...) on one
// locked thread, and each reports the median of its rounds: run one after another for a
// second each, make bench saw scale 3 at 0.76x and 2.01x of raw in two runs of one day (the
// thread's CPU time moving with it: the VM's, not the cart's), while alone it is a steady
// 1.2x. Every round is printed.
func BenchmarkCartFrame(b *testing.B) {
	const rounds, perRound = 7, 2000
	wasm := cartWasm(b, benchCart)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	frames := func(frame func() error) func(n int) {
		return func(n int) {
			for range n {
				if err := frame(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	sides := []testenv.Side{{Name: "base=raw-wasmtime", Run: frames(rawCartFrame(b, wasm))}}
	for _, c := range []struct {
		name   string
		scale  int
		scales bool
	}{{"orbital/scale=1", 1, true}, {"orbital/scale=3", 3, true}, {"orbital/scale=3/kernel-scaled", 3, false}} {
		k := newKernel(b, Config{AllowAll: true, Display: copyDisplay{scales: c.scales}})
		m, err := k.Load("bench", "bench.wasm", wasm)
		if err != nil {
			b.Fatal(err)
		}
		// The process as Spawn builds it, driven here frame by frame instead of at 60 Hz.
		p := &Process{k: k, name: "bench", module: m, eng: k.plain, code: &compiledCode{mod: m.mod},
			opts: SpawnOptions{UI: true, Cart: CartOptions{Scale: c.scale}}}
		threadBudget(b, 1<<30) // memories are created for a budget only (memlimit_cgo.go)
		p.store = wasmtime.NewStoreWithData(k.engine, p)
		b.Cleanup(p.store.Close)
		p.store.SetEpochDeadline(1 << 40)
		if err := p.instantiateCart(); err != nil {
			b.Fatal(err)
		}
		sides = append(sides, testenv.Side{Name: c.name, Run: frames(p.cartFrame)})
	}
	testenv.Interleave(b, rounds, perRound, threadCPU, "cpu-ns/op", 1, sides)
}

// rawCartFrame is BenchmarkCartFrame's frame on wasmtime alone: update called, the
// framebuffer copied out.
func rawCartFrame(b *testing.B, wasm []byte) func() error {
	engine := wasmtime.NewEngine()
	store := wasmtime.NewStore(engine)
	b.Cleanup(store.Close)
	mt, _ := wasmtime.NewMemoryType(1, true, 1, false)
	mem, err := wasmtime.NewMemory(store, mt)
	if err != nil {
		b.Fatal(err)
	}
	l := wasmtime.NewLinker(engine)
	for _, f := range cartFuncs {
		f := f
		ps := make([]*wasmtime.ValType, len(f.params))
		for i := range ps {
			ps[i] = wasmtime.NewValType(wasmtime.KindI32)
		}
		var rs []*wasmtime.ValType
		if len(f.results) > 0 {
			rs = []*wasmtime.ValType{wasmtime.NewValType(wasmtime.KindI32)}
		}
		l.FuncNew("env", f.name, wasmtime.NewFuncType(ps, rs), func(c *wasmtime.Caller, a []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
			m := wasm4.Memory(mem.UnsafeData(c))
			switch f.name {
			case "rect":
				m.Rect(a[0].I32(), a[1].I32(), a[2].I32(), a[3].I32())
			case "blit":
				s := wasm4.Sprite{Data: m.From(uint32(a[0].I32()))}
				m.Blit(&s, a[1].I32(), a[2].I32(), a[3].I32(), a[4].I32(), 0, 0, a[3].I32(), uint32(a[5].I32()))
			case "text":
				m.Text(uint32(a[0].I32()), a[1].I32(), a[2].I32())
			}
			if len(rs) > 0 {
				return []wasmtime.Val{wasmtime.ValI32(0)}, nil
			}
			return nil, nil
		})
	}
	l.Define(store, "env", "memory", mem)
	mod, err := wasmtime.NewModule(engine, wasm)
	if err != nil {
		b.Fatal(err)
	}
	inst, err := l.Instantiate(store, mod)
	if err != nil {
		b.Fatal(err)
	}
	upd := inst.GetFunc(store, "update")
	out := make([]byte, wasm4.FramebufferSize)
	return func() error {
		if _, err := upd.Call(store); err != nil {
			return err
		}
		copy(out, wasm4.Memory(mem.UnsafeData(store)).Framebuffer())
		return nil
	}
}
