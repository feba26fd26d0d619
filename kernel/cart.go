package kernel

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/wasm4"
)

// WASM-4 cartridges (docs/design/wasm4.md). A cart is recognised by its imports: env.memory
// plus WASM-4 functions from env, nothing else. The kernel runs it as a process like any
// other (its own thread, limits, kill), but links the console's functions instead of the
// `orbital` ABI and WASI, creates its 64 KiB memory, and instead of calling an entry point
// runs the console's frame loop (cart_run.go): start once, then update 60 times a second, the
// framebuffer shown in a window. A cart can reach nothing but its window and its disk.

// KindCart is Module.Kind and Info.Kind of a WASM-4 cart.
const KindCart = "cart"

const cartModule = "env"

// CartDeadline caps Limits.Deadline for carts: the longest one call of start or update may
// run (a frame is 16 ms, so this only ends carts that hang). A lower limit still applies.
const CartDeadline = 2 * time.Second

// CartOptions shape how a cart runs (SpawnOptions.Cart). The zero value is an interactive cart.
type CartOptions struct {
	// Input, when set, is scripted gamepad and mouse input, combined with the user's.
	Input *wasm4.Script
	// Scale is the window's starting size as a multiple of 160 pixels; 0 means 3.
	Scale int
}

// cartFuncs are the WASM-4 imports; all parameters are i32.
var cartFuncs = []hostFunc{
	{name: "blit", params: i32s(6), fn: cartBlit},
	{name: "blitSub", params: i32s(9), fn: cartBlitSub},
	{name: "line", params: i32s(4), fn: cartLine},
	{name: "hline", params: i32s(3), fn: cartHLine},
	{name: "vline", params: i32s(3), fn: cartVLine},
	{name: "oval", params: i32s(4), fn: cartOval},
	{name: "rect", params: i32s(4), fn: cartRect},
	{name: "text", params: i32s(3), fn: cartText},
	{name: "textUtf8", params: i32s(4), fn: cartTextUTF8},
	{name: "textUtf16", params: i32s(4), fn: cartTextUTF16},
	{name: "tone", params: i32s(4), fn: cartTone},
	{name: "diskr", params: i32s(2), results: kinds(i32), fn: cartDiskr},
	{name: "diskw", params: i32s(2), results: kinds(i32), fn: cartDiskw},
	{name: "trace", params: i32s(1), fn: cartTrace},
	{name: "traceUtf8", params: i32s(2), fn: cartTraceUTF8},
	{name: "traceUtf16", params: i32s(2), fn: cartTraceUTF16},
	{name: "tracef", params: i32s(2), fn: cartTracef},
}

// defineCartFuncs links the console's functions for process p into l, a linker of p's own:
// each closure holds p, so a call does not look its process up in the store (a third of the
// cost of a cheap call). Unlike invoke (host.go), a call leaves the deadline clock alone: for
// a cart the deadline is per start or update call, so a cart looping forever while it draws
// still ends.
func defineCartFuncs(l *wasmtime.Linker, p *Process) error {
	for i := range cartFuncs {
		f := &cartFuncs[i]
		ps := make([]*wasmtime.ValType, len(f.params))
		for j := range ps {
			ps[j] = wasmtime.NewValType(i32)
		}
		var rs []*wasmtime.ValType
		if len(f.results) > 0 {
			rs = []*wasmtime.ValType{wasmtime.NewValType(i32)}
		}
		err := l.FuncNew(cartModule, f.name, wasmtime.NewFuncType(ps, rs), func(caller *wasmtime.Caller, args []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
			return p.cartHostCall(f, caller, args)
		})
		if err != nil {
			return fmt.Errorf("%s.%s: %w", cartModule, f.name, err)
		}
	}
	return nil
}

// cartHostCall runs one console function for p: refused once p is killed, and a Go panic in
// it ends p only.
func (p *Process) cartHostCall(f *hostFunc, caller *wasmtime.Caller, args []wasmtime.Val) (res []wasmtime.Val, trap *wasmtime.Trap) {
	if p.killed.Load() {
		p.setCause("killed")
		return nil, wasmtime.NewTrap("orbital: process killed")
	}
	c := &p.hostCall
	c.p, c.caller = p, caller
	defer func() {
		c.caller = nil
		if r := recover(); r != nil {
			p.setCause(fmt.Sprintf("WASM-4 function env.%s panicked: %v", f.name, r))
			res, trap = nil, wasmtime.NewTrap("orbital: WASM-4 function "+f.name+" panicked")
		}
	}()
	return f.fn(c, args), nil
}

var cartFuncNames = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range cartFuncs {
		m[f.name] = true
	}
	return m
}()

func i32s(n int) []wasmtime.ValKind {
	ks := make([]wasmtime.ValKind, n)
	for i := range ks {
		ks[i] = i32
	}
	return ks
}

// cartImports tells whether mod is a WASM-4 cart (it imports env.memory). A cart importing
// anything besides the console's functions and one page of memory is refused with a message
// naming the import.
func cartImports(mod *wasmtime.Module) (bool, error) {
	cart := false
	for _, im := range mod.Imports() {
		if im.Module() == cartModule && im.Name() != nil && *im.Name() == "memory" && im.Type().MemoryType() != nil {
			cart = true
		}
	}
	if !cart {
		return false, nil
	}
	for _, im := range mod.Imports() {
		name := ""
		if n := im.Name(); n != nil {
			name = *n
		}
		switch {
		case im.Module() == cartModule && name == "memory":
			mt := im.Type().MemoryType()
			if mt == nil {
				return true, fmt.Errorf("a WASM-4 cart whose env.memory import is not a memory")
			}
			if mt.Minimum() > 1 {
				return true, fmt.Errorf("a WASM-4 cart that wants %d pages of memory; the console has 1 (64 KiB)", mt.Minimum())
			}
		case im.Module() == cartModule && cartFuncNames[name] && im.Type().FuncType() != nil:
		default:
			return true, fmt.Errorf("a WASM-4 cart that imports %s.%s, which the console does not provide (carts import env.memory and the WASM-4 functions only)", im.Module(), name)
		}
	}
	return true, nil
}

// cartLimits applies CartDeadline to a cart's options.
func cartLimits(o *SpawnOptions) {
	if o.Limits.Deadline <= 0 && o.Limits.Deadline != 0 {
		return // no deadline, as asked
	}
	if o.Limits.Deadline == 0 || o.Limits.Deadline > CartDeadline {
		o.Limits.Deadline = CartDeadline
	}
}

// cartDiskPath is where the disk of the cart with digest lives: <home>/wasm4/<digest>.disk
// ("" without a home: the disk lasts as long as the process).
func (k *Kernel) cartDiskPath(digest string) string {
	if k.cfg.Home == "" {
		return ""
	}
	return filepath.Join(k.cfg.Home, "wasm4", digest+".disk")
}

// cartMem is the cart's memory during a host call.
func cartMem(c *call) wasm4.Memory { return wasm4.Memory(c.mem()) }

// warnOnce logs a clipped call once per import and process: the cart keeps running, and the
// log says what was cut and why.
func (cs *cartState) warnOnce(c *call, name, msg string) {
	if cs.warned[name] {
		return
	}
	if cs.warned == nil {
		cs.warned = map[string]bool{}
	}
	cs.warned[name] = true
	c.p.k.cfg.Log(c.p.pid, c.p.name, 2, name+": "+msg+" (logged once)")
}

func ai(a []wasmtime.Val, i int) int32  { return a[i].I32() }
func au(a []wasmtime.Val, i int) uint32 { return uint32(a[i].I32()) }

// blit(sprite, x, y, width, height, flags)
func cartBlit(c *call, a []wasmtime.Val) []wasmtime.Val {
	blit(c, "blit", au(a, 0), ai(a, 1), ai(a, 2), ai(a, 3), ai(a, 4), 0, 0, ai(a, 3), au(a, 5))
	return nil
}

// blitSub(sprite, x, y, width, height, srcX, srcY, stride, flags)
func cartBlitSub(c *call, a []wasmtime.Val) []wasmtime.Val {
	blit(c, "blitSub", au(a, 0), ai(a, 1), ai(a, 2), ai(a, 3), ai(a, 4), ai(a, 5), ai(a, 6), ai(a, 7), au(a, 8))
	return nil
}

func blit(c *call, name string, ptr uint32, x, y, w, h, sx, sy, stride int32, flags uint32) {
	m := cartMem(c)
	s := wasm4.Sprite{Data: m.From(ptr)}
	m.Blit(&s, x, y, w, h, sx, sy, stride, flags)
	if s.Over {
		c.p.cart.warnOnce(c, name, fmt.Sprintf("the sprite at %#x (%dx%d, stride %d) reads past the end of the cart's 64 KiB; those pixels read as colour 0", ptr, w, h, stride))
	}
}

// line(x1, y1, x2, y2)
func cartLine(c *call, a []wasmtime.Val) []wasmtime.Val {
	cartMem(c).Line(ai(a, 0), ai(a, 1), ai(a, 2), ai(a, 3))
	return nil
}

// hline(x, y, len)
func cartHLine(c *call, a []wasmtime.Val) []wasmtime.Val {
	cartMem(c).HLine(ai(a, 0), ai(a, 1), ai(a, 2))
	return nil
}

// vline(x, y, len)
func cartVLine(c *call, a []wasmtime.Val) []wasmtime.Val {
	cartMem(c).VLine(ai(a, 0), ai(a, 1), ai(a, 2))
	return nil
}

// oval(x, y, width, height)
func cartOval(c *call, a []wasmtime.Val) []wasmtime.Val {
	if !cartMem(c).Oval(ai(a, 0), ai(a, 1), ai(a, 2), ai(a, 3)) {
		c.p.cart.warnOnce(c, "oval", fmt.Sprintf("an oval of %dx%d is larger than 32768 pixels a side; not drawn", ai(a, 2), ai(a, 3)))
	}
	return nil
}

// rect(x, y, width, height)
func cartRect(c *call, a []wasmtime.Val) []wasmtime.Val {
	cartMem(c).Rect(ai(a, 0), ai(a, 1), ai(a, 2), ai(a, 3))
	return nil
}

// text(str, x, y)
func cartText(c *call, a []wasmtime.Val) []wasmtime.Val {
	if !cartMem(c).Text(au(a, 0), ai(a, 1), ai(a, 2)) {
		c.p.cart.warnOnce(c, "text", fmt.Sprintf("the string at %#x has no NUL before the end of the cart's 64 KiB; drawn up to there", au(a, 0)))
	}
	return nil
}

// textUtf8(str, byteLength, x, y)
func cartTextUTF8(c *call, a []wasmtime.Val) []wasmtime.Val {
	if !cartMem(c).TextUTF8(au(a, 0), au(a, 1), ai(a, 2), ai(a, 3)) {
		c.p.cart.warnOnce(c, "textUtf8", rangeCut(au(a, 0), au(a, 1)))
	}
	return nil
}

// textUtf16(str, byteLength, x, y)
func cartTextUTF16(c *call, a []wasmtime.Val) []wasmtime.Val {
	if !cartMem(c).TextUTF16(au(a, 0), au(a, 1), ai(a, 2), ai(a, 3)) {
		c.p.cart.warnOnce(c, "textUtf16", rangeCut(au(a, 0), au(a, 1)))
	}
	return nil
}

func rangeCut(ptr, n uint32) string {
	return fmt.Sprintf("%d bytes at %#x run past the end of the cart's 64 KiB; cut there", n, ptr)
}

// tone(frequency, duration, volume, flags)
func cartTone(c *call, a []wasmtime.Val) []wasmtime.Val {
	c.p.cart.tone(c, wasm4.DecodeTone(au(a, 0), au(a, 1), au(a, 2), au(a, 3)))
	return nil
}

// diskr(dest, size) -> bytes read
func cartDiskr(c *call, a []wasmtime.Val) []wasmtime.Val {
	dst, ok := cartMem(c).Range(au(a, 0), au(a, 1))
	if !ok {
		c.p.cart.warnOnce(c, "diskr", rangeCut(au(a, 0), au(a, 1)))
	}
	return one(int32(c.p.cart.disk.Read(dst)))
}

// diskw(src, size) -> bytes written
func cartDiskw(c *call, a []wasmtime.Val) []wasmtime.Val {
	src, ok := cartMem(c).Range(au(a, 0), au(a, 1))
	if !ok {
		c.p.cart.warnOnce(c, "diskw", rangeCut(au(a, 0), au(a, 1)))
	}
	n, err := c.p.cart.disk.Write(src)
	if err != nil {
		c.p.k.cfg.Log(c.p.pid, c.p.name, 3, "diskw: "+err.Error())
		return one(0)
	}
	return one(int32(n))
}

// trace(str)
func cartTrace(c *call, a []wasmtime.Val) []wasmtime.Val {
	s, ok := cartMem(c).Trace(au(a, 0))
	c.p.cart.trace(c, "trace", s, ok, "the string has no NUL before the end of the cart's 64 KiB")
	return nil
}

// traceUtf8(str, byteLength)
func cartTraceUTF8(c *call, a []wasmtime.Val) []wasmtime.Val {
	s, ok := cartMem(c).TraceUTF8(au(a, 0), au(a, 1))
	c.p.cart.trace(c, "traceUtf8", s, ok, rangeCut(au(a, 0), au(a, 1)))
	return nil
}

// traceUtf16(str, byteLength)
func cartTraceUTF16(c *call, a []wasmtime.Val) []wasmtime.Val {
	s, ok := cartMem(c).TraceUTF16(au(a, 0), au(a, 1))
	c.p.cart.trace(c, "traceUtf16", s, ok, rangeCut(au(a, 0), au(a, 1)))
	return nil
}

// tracef(fmt, stack)
func cartTracef(c *call, a []wasmtime.Val) []wasmtime.Val {
	s, ok := cartMem(c).Tracef(au(a, 0), au(a, 1))
	c.p.cart.trace(c, "tracef", s, ok, fmt.Sprintf("the format at %#x or its arguments from %#x run past the end of the cart's 64 KiB; the line stops there", au(a, 0), au(a, 1)))
	return nil
}

func (cs *cartState) trace(c *call, name, s string, ok bool, why string) {
	if !ok {
		cs.warnOnce(c, name, why)
	}
	c.p.k.cfg.Log(c.p.pid, c.p.name, 1, s)
}
