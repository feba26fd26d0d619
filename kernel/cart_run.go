package kernel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/wasm4"
)

// FramePeriod is the console's frame rate: update runs 60 times a second.
const FramePeriod = time.Second / 60

// cartState is the console of one cart process; only its thread touches it.
type cartState struct {
	mem        *wasmtime.Memory
	start      *wasmtime.Func // exports; nil when the cart has none
	update     *wasmtime.Func
	init       []*wasmtime.Func // _start / _initialize (a WASI-style toolchain's setup)
	screen     wasm4.Screen
	controls   *wasm4.Controls
	player     *wasm4.Player // scripted input, or nil
	disk       *wasm4.Disk
	surf       *surfaceSlot
	pix        []byte
	frames     int
	tones      int
	sounded    int   // tones the voice took
	voice      Voice // the cart's sound (Config.Sound), from its first tone
	warned     map[string]bool
	winW, winH int    // the window's size, from resize events
	scaler     scaler // the window, when its display scales it (nil: the kernel does)
	scale      int    // the scale the display was told
}

// scaler is a Surface its display can show scaled by a whole factor with nearest filtering
// (compositor.Surface.SetScale). A cart presents its 160x160 picture to one as it is and
// tells it the scale, so a frame costs the same at any window size; on any other surface
// the kernel writes the scaled picture itself (wasm4.Screen).
type scaler interface{ SetScale(n int) error }

// CartStats are counters of a cart process.
type CartStats struct {
	Frames  int // update calls made
	Tones   int // tone calls
	Sounded int // tones handed to the audio output (Config.Sound)
}

// CartStats returns the counters of a cart; ok is false for other processes. Safe while the
// process runs only for tests that wait for it to end first.
func (p *Process) CartStats() (CartStats, bool) {
	if p.cart == nil {
		return CartStats{}, false
	}
	return CartStats{Frames: p.cart.frames, Tones: p.cart.tones, Sounded: p.cart.sounded}, true
}

// instantiateCart creates the cart's memory (reset to the console's power-on state), links the
// WASM-4 functions and instantiates the cart, which writes its data segments over the memory.
func (p *Process) instantiateCart() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: instantiate: %v", p.module.Path, r)
		}
	}()
	disk, err := wasm4.OpenDisk(p.k.cartDiskPath(p.module.Digest))
	if err != nil {
		return &ModuleError{File: p.module.Path, Msg: err.Error(), Err: err}
	}
	mt, err := wasmtime.NewMemoryType(1, true, 1, false)
	if err != nil {
		return fmt.Errorf("%s: cart memory: %w", p.module.Path, err)
	}
	mem, err := wasmtime.NewMemory(p.store, mt)
	if err != nil {
		return fmt.Errorf("%s: cart memory: %w", p.module.Path, err)
	}
	wasm4.Memory(mem.UnsafeData(p.store)).Reset()
	l := wasmtime.NewLinker(p.eng.engine)
	if err := defineCartFuncs(l, p); err != nil {
		return fmt.Errorf("kernel: define WASM-4 functions: %w", err)
	}
	if err := l.Define(p.store, cartModule, "memory", mem); err != nil {
		return fmt.Errorf("kernel: define WASM-4 memory: %w", err)
	}
	cs := &cartState{mem: mem, disk: disk, controls: wasm4.NewControls(), warned: map[string]bool{}}
	p.cart, p.memory = cs, mem
	inst, err := l.Instantiate(p.store, p.code.mod)
	if err != nil {
		return &ModuleError{File: p.module.Path, Msg: "cannot instantiate: " + oneLine(err.Error()), Err: err}
	}
	for _, n := range []string{"_start", "_initialize"} {
		if f := inst.GetFunc(p.store, n); f != nil {
			cs.init = append(cs.init, f)
		}
	}
	cs.start, cs.update = inst.GetFunc(p.store, "start"), inst.GetFunc(p.store, "update")
	if in := p.opts.Cart.Input; in != nil {
		cs.player = wasm4.NewPlayer(in)
	}
	return p.openCartWindow(cs)
}

// openCartWindow creates the cart's window, Scale (default 3) times the console's 160x160:
// a 160x160 surface its display scales, else one of the scaled size.
func (p *Process) openCartWindow(cs *cartState) error {
	scale := p.opts.Cart.Scale
	if scale <= 0 {
		scale = 3
	}
	// The window is the console's screen, which every cart has: it needs no [ui] grant (a cart
	// can do nothing else, whatever policy says), only an embedder that shows windows.
	if p.k.cfg.Display == nil || !p.opts.UI {
		return &ModuleError{File: p.module.Path, Msg: "a WASM-4 cart needs a window, and this run shows none"}
	}
	w, h := wasm4.Width, wasm4.Height
	s, err := p.k.cfg.Display.CreateSurface(SurfaceOwner{PID: p.pid, Name: p.name}, p.name, w, h)
	if err != nil {
		return fmt.Errorf("%s: cart window: %w", p.module.Path, err)
	}
	if sc, ok := s.(scaler); ok && sc.SetScale(scale) == nil {
		cs.scaler, cs.scale = sc, scale
	} else if scale != 1 {
		w, h = w*scale, h*scale
		if err := s.Resize(w, h); err != nil {
			s.Close()
			return fmt.Errorf("%s: cart window: %w", p.module.Path, err)
		}
	}
	cs.surf = &surfaceSlot{s: s, w: w, h: h}
	p.nextSID++
	p.surfaces = map[int32]*surfaceSlot{p.nextSID: cs.surf}
	cs.winW, cs.winH = wasm4.Width*scale, wasm4.Height*scale
	cs.pix = make([]byte, w*h*4)
	return nil
}

// runCart is a cart's life after instantiation: _start/_initialize and start once, then a frame
// every FramePeriod until the cart traps, overruns its deadline, is asked to quit or its window
// is closed. It returns nil for a normal end.
func (p *Process) runCart() (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.setCause(fmt.Sprintf("panic in host: %v", r))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	cs := p.cart
	defer cs.endSound(p)
	for _, f := range cs.init {
		if err := p.cartCall(f, "_start"); err != nil {
			return err
		}
	}
	if err := p.cartCall(cs.start, "start"); err != nil {
		return err
	}
	next := time.Now()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		if done, err := p.cartInput(); done || err != nil {
			return err
		}
		if err := p.cartFrame(); err != nil {
			return err
		}
		// Pace at 60 Hz; a cart that fell more than a few frames behind starts afresh rather
		// than running a burst of frames to catch up.
		next = next.Add(FramePeriod)
		now := time.Now()
		if now.Sub(next) > 4*FramePeriod {
			next = now
		}
		t.Reset(next.Sub(now))
		p.sample(int64(len(cs.mem.UnsafeData(p.store))))
		select {
		case <-t.C:
		case <-p.ctx.Done():
			return errors.New("killed")
		}
	}
}

// cartFrame runs one frame: input into the registers, the framebuffer cleared (unless the cart
// keeps it), update, and the picture shown if it changed.
func (p *Process) cartFrame() error {
	cs := p.cart
	m := wasm4.Memory(cs.mem.UnsafeData(p.store))
	in := cs.controls.Input()
	if cs.player != nil {
		in = wasm4.Merge(cs.player.At(cs.frames), in)
	}
	m.SetInput(in)
	if m.SystemFlags()&wasm4.SystemPreserveFramebuffer == 0 {
		m.ClearFramebuffer()
	}
	if err := p.cartCall(cs.update, "update"); err != nil {
		return err
	}
	cs.frames++
	m = wasm4.Memory(cs.mem.UnsafeData(p.store))
	if cs.scaler != nil {
		return cs.showScaled(p, m)
	}
	resized := cs.surf.w != cs.winW || cs.surf.h != cs.winH
	if !resized && !cs.screen.Changed(m) {
		// The same picture: shown again without converting it. A cart presents every frame, as
		// the console does, so whoever counts frames (orbital run --frames) sees them.
		return cs.present(p)
	}
	if resized {
		if err := cs.surf.s.Resize(cs.winW, cs.winH); err != nil {
			p.k.cfg.Log(p.pid, p.name, 2, "cart window resize: "+err.Error())
			cs.winW, cs.winH = cs.surf.w, cs.surf.h
		} else {
			cs.surf.w, cs.surf.h = cs.winW, cs.winH
			cs.pix = make([]byte, cs.winW*cs.winH*4)
			cs.screen = wasm4.Screen{}
		}
	}
	cs.screen.Convert(m, cs.pix, cs.surf.w, cs.surf.h, cs.surf.w*4)
	return cs.present(p)
}

// showScaled shows a frame on a window its display scales: the largest whole scale that fits
// the window (told to the display when it changes) and the 160x160 picture, converted only
// when it changed.
func (cs *cartState) showScaled(p *Process, m wasm4.Memory) error {
	if n, _, _ := wasm4.Fit(cs.winW, cs.winH); n != cs.scale {
		if err := cs.scaler.SetScale(n); err != nil {
			p.k.cfg.Log(p.pid, p.name, 2, "cart window scale: "+err.Error())
			cs.winW, cs.winH = wasm4.Width*cs.scale, wasm4.Height*cs.scale
		} else {
			cs.scale = n
		}
	}
	if cs.screen.Changed(m) {
		cs.screen.Convert(m, cs.pix, wasm4.Width, wasm4.Height, wasm4.Width*4)
	}
	return cs.present(p)
}

func (cs *cartState) present(p *Process) error {
	if err := cs.surf.s.Present(cs.pix, cs.surf.w*4); err != nil && !cs.warned["present"] {
		cs.warned["present"] = true
		p.k.cfg.Log(p.pid, p.name, 2, "cart present: "+err.Error())
	}
	return nil
}

// cartCall calls one of the cart's exports (a nil f does nothing). The deadline counts the
// whole call: the console's functions it calls do not restart the clock (cartHostCall).
func (p *Process) cartCall(f *wasmtime.Func, name string) error {
	if f == nil {
		return nil
	}
	p.lastHost.Store(monoNow())
	_, err := f.Call(p.store)
	p.lastHost.Store(monoNow())
	if err == nil {
		return nil
	}
	var trap *wasmtime.Trap
	if errors.As(err, &trap) && p.cause.Load() == nil {
		p.setCause("trap in " + name + ": " + cartTrap(trap))
	}
	return err
}

// cartTrap says what a trap was; an access outside memory says how much a cart has.
func cartTrap(t *wasmtime.Trap) string {
	msg := trapMessage(t)
	if code := t.Code(); code != nil && *code == wasmtime.MemoryOutOfBounds {
		msg += " (a cart has 64 KiB of memory; it read or wrote past its end)"
	}
	return msg
}

// cartInput takes the input events, quit requests and close requests that arrived since the
// last frame; done is true when the cart should end.
func (p *Process) cartInput() (done bool, err error) {
	cs := p.cart
	for {
		m, ok := p.inbox.TryRecv()
		if !ok {
			return p.stopping.Load(), nil
		}
		switch m.Kind {
		case bus.KindQuit:
			return true, nil
		case bus.KindEvent:
			if len(m.Payload) < eventSize {
				continue
			}
			if cs.event(decodeEvent(m.Payload)) {
				return true, nil
			}
		}
	}
}

func decodeEvent(b []byte) Event {
	le := binary.LittleEndian
	return Event{Type: le.Uint32(b), Surface: le.Uint32(b[4:]), X: int32(le.Uint32(b[8:])), Y: int32(le.Uint32(b[12:])),
		Code: int32(le.Uint32(b[16:])), Modifiers: le.Uint32(b[20:])}
}

// event applies one input event; it returns true for a close request.
func (cs *cartState) event(e Event) bool {
	switch e.Type {
	case EventKeyDown, EventKeyUp:
		cs.controls.Key(e.Code, e.Type == EventKeyDown)
	case EventMouseMove:
		cs.controls.Pointer(int(e.X), int(e.Y), cs.surf.w, cs.surf.h)
	case EventMouseDown, EventMouseUp:
		cs.controls.Pointer(int(e.X), int(e.Y), cs.surf.w, cs.surf.h)
		cs.controls.Button(e.Code, e.Type == EventMouseDown)
	case EventBlur:
		cs.controls.Release()
	case EventResize:
		if validSide(e.X) && validSide(e.Y) {
			cs.winW, cs.winH = int(e.X), int(e.Y)
		}
	case EventClose:
		return true
	}
	return false
}
