package jsrt

import (
	"image"
	"image/draw"
	"strconv"

	"github.com/dop251/goja"
	"github.com/orbital/orbital/modules/sdk"
)

// window is one orbital.openWindow: a host surface, the frame the script draws into, and its
// event handlers.
type window struct {
	r        *Runtime
	s        Surface
	title    string
	img      *image.RGBA
	obj      *goja.Object
	dirty    bool // drawn on since the last present
	closed   bool
	pen      pen
	handlers map[string][]goja.Value
	pixels   goja.Value // a Uint8ClampedArray over img.Pix, made on first use
}

// eventTypes are the names win.on accepts.
var eventTypes = map[string]bool{"keydown": true, "keyup": true, "char": true, "mousemove": true,
	"mousedown": true, "mouseup": true, "wheel": true, "resize": true, "focus": true, "blur": true, "close": true}

// openWindow implements orbital.openWindow(width, height, title) -> Window. The window starts
// white and is shown at the next frame.
func (r *Runtime) openWindow(call goja.FunctionCall) goja.Value {
	w, h := int(call.Argument(0).ToInteger()), int(call.Argument(1).ToInteger())
	title := r.file
	if t := call.Argument(2); !goja.IsUndefined(t) {
		title = t.String()
	}
	s, err := r.host.OpenSurface(w, h, title)
	r.check(err)
	win := &window{r: r, s: s, title: title, img: image.NewRGBA(image.Rect(0, 0, w, h)),
		dirty: true, pen: newPen(), handlers: map[string][]goja.Value{}}
	draw.Draw(win.img, win.img.Rect, image.White, image.Point{}, draw.Src)
	win.obj = r.windowObject(win)
	r.windows[s.ID()] = win
	return win.obj
}

// windowObject builds the script's Window: size and state, drawing (draw.go), events.
func (r *Runtime) windowObject(w *window) *goja.Object {
	vm := r.vm
	o := vm.NewObject()
	getter := func(name string, get func() any) {
		o.DefineAccessorProperty(name, vm.ToValue(func(goja.FunctionCall) goja.Value { return vm.ToValue(get()) }),
			nil, goja.FLAG_FALSE, goja.FLAG_TRUE)
	}
	getter("id", func() any { return w.s.ID() })
	getter("width", func() any { return w.img.Rect.Dx() })
	getter("height", func() any { return w.img.Rect.Dy() })
	getter("title", func() any { return w.title })
	getter("closed", func() any { return w.closed })
	getter("pixels", func() any { return w.pixelView() })
	r.bindDrawing(w, o)
	o.Set("on", func(call goja.FunctionCall) goja.Value {
		typ := call.Argument(0).String()
		if !eventTypes[typ] {
			panic(vm.NewTypeError("window.on: unknown event type " + strconv.Quote(typ)))
		}
		r.callable(call.Argument(1), "window.on")
		w.handlers[typ] = append(w.handlers[typ], call.Argument(1))
		return goja.Undefined()
	})
	o.Set("off", func(call goja.FunctionCall) goja.Value {
		typ, fn := call.Argument(0).String(), call.Argument(1)
		hs := w.handlers[typ]
		for i, h := range hs {
			if h.StrictEquals(fn) {
				w.handlers[typ] = append(hs[:i:i], hs[i+1:]...)
				break
			}
		}
		return goja.Undefined()
	})
	o.Set("present", func(goja.FunctionCall) goja.Value {
		w.live()
		r.check(w.present())
		return goja.Undefined()
	})
	o.Set("resize", func(call goja.FunctionCall) goja.Value {
		w.live()
		r.check(w.resize(int(call.Argument(0).ToInteger()), int(call.Argument(1).ToInteger())))
		return goja.Undefined()
	})
	o.Set("close", func(goja.FunctionCall) goja.Value {
		r.closeWindow(w)
		return goja.Undefined()
	})
	return o
}

// live throws when the window was closed.
func (w *window) live() {
	if w.closed {
		w.r.throwError("ERR_NOT_FOUND", "window %q is closed", w.title)
	}
}

// pixelView is the frame's pixels as a Uint8ClampedArray (RGBA, rows of width*4 bytes),
// shared with the frame: writes show at the next frame. Asking for it marks the window drawn.
func (w *window) pixelView() goja.Value {
	w.live()
	w.dirty = true
	if w.pixels == nil {
		vm := w.r.vm
		v, err := vm.New(vm.Get("Uint8ClampedArray"), vm.ToValue(vm.NewArrayBuffer(w.img.Pix)))
		if err != nil {
			panic(err)
		}
		w.pixels = v
	}
	return w.pixels
}

func (w *window) present() error {
	w.dirty = false
	return w.s.Present(w.img)
}

// resize gives the window a new size, keeping what was drawn (top-left anchored, new area
// white). A view from win.pixels keeps showing the old frame; ask for it again.
func (w *window) resize(width, height int) error {
	if width == w.img.Rect.Dx() && height == w.img.Rect.Dy() {
		return nil
	}
	if err := w.s.Resize(width, height); err != nil {
		return err
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(img, img.Rect, w.img, image.Point{}, draw.Src)
	w.img, w.pixels, w.dirty = img, nil, true
	return nil
}

// presentAll shows every window drawn on since its last present.
func (r *Runtime) presentAll() {
	for _, w := range r.windows {
		if w.dirty {
			if err := w.present(); err != nil {
				r.fail("present window %q: %v", w.title, err)
			}
		}
	}
}

func (r *Runtime) closeWindow(w *window) {
	if w.closed {
		return
	}
	w.closed = true
	delete(r.windows, w.s.ID())
	w.s.Close()
}

func (r *Runtime) closeWindows() {
	for _, w := range r.windows {
		r.closeWindow(w)
	}
}

// dispatchEvent hands an input event to its window's handlers. A resize resizes the frame
// first; a close request closes the window unless a handler called preventDefault(), and
// when that was the script's last window the script ends (exit status 0), as a page ends with
// its tab and a Go module with sdk.Run: an animation loop would otherwise go on drawing into
// a window nobody can see.
func (r *Runtime) dispatchEvent(m sdk.Message) {
	ev, err := m.Event()
	if err != nil {
		return // an event type from a newer host: nothing to map it to
	}
	w := r.windows[ev.SurfaceID()]
	if w == nil {
		return
	}
	typ, o := r.eventObject(ev)
	if e, ok := ev.(sdk.Resize); ok {
		if err := w.resize(e.Width, e.Height); err != nil {
			r.fail("resize window %q to %dx%d: %v", w.title, e.Width, e.Height, err)
			return
		}
	}
	prevented := false
	o.Set("preventDefault", func(goja.FunctionCall) goja.Value { prevented = true; return goja.Undefined() })
	o.Set("target", w.obj)
	for _, h := range append([]goja.Value(nil), w.handlers[typ]...) {
		fn, _ := goja.AssertFunction(h)
		r.call(fn, w.obj, o)
	}
	if typ == "close" && !prevented && !r.done() {
		r.closeWindow(w)
		if len(r.windows) == 0 {
			code := 0
			r.exitCode = &code
		}
	}
}

// eventObject describes ev for the script.
func (r *Runtime) eventObject(ev sdk.Event) (string, *goja.Object) {
	o := r.vm.NewObject()
	mods := func(m sdk.Mods) {
		o.Set("shift", m&sdk.ModShift != 0)
		o.Set("ctrl", m&sdk.ModCtrl != 0)
		o.Set("alt", m&sdk.ModAlt != 0)
		o.Set("meta", m&sdk.ModSuper != 0)
	}
	at := func(x, y int) { o.Set("x", x); o.Set("y", y) }
	typ := ""
	switch e := ev.(type) {
	case sdk.KeyDown:
		typ = "keydown"
		o.Set("key", keyName(e.Key, e.Mods))
		o.Set("keyCode", int(e.Key))
		mods(e.Mods)
	case sdk.KeyUp:
		typ = "keyup"
		o.Set("key", keyName(e.Key, e.Mods))
		o.Set("keyCode", int(e.Key))
		mods(e.Mods)
	case sdk.Char:
		typ = "char"
		o.Set("char", string(e.Rune))
		mods(e.Mods)
	case sdk.MouseMove:
		typ = "mousemove"
		at(e.X, e.Y)
		mods(e.Mods)
	case sdk.MouseDown:
		typ = "mousedown"
		at(e.X, e.Y)
		o.Set("button", int(e.Button))
		mods(e.Mods)
	case sdk.MouseUp:
		typ = "mouseup"
		at(e.X, e.Y)
		o.Set("button", int(e.Button))
		mods(e.Mods)
	case sdk.Scroll:
		typ = "wheel"
		at(e.X, e.Y)
		o.Set("dx", e.DX)
		o.Set("dy", e.DY)
		mods(e.Mods)
	case sdk.Resize:
		typ = "resize"
		o.Set("width", e.Width)
		o.Set("height", e.Height)
	case sdk.Focus:
		typ = "focus"
	case sdk.Blur:
		typ = "blur"
	case sdk.CloseRequest:
		typ = "close"
	}
	o.Set("type", typ)
	return typ, o
}

// keyNames are the browser's KeyboardEvent.key names of GLFW's non-printable keys.
var keyNames = map[sdk.Key]string{sdk.KeyEscape: "Escape", sdk.KeyEnter: "Enter", sdk.KeyTab: "Tab",
	sdk.KeyBackspace: "Backspace", sdk.KeyDelete: "Delete", sdk.KeyArrowRight: "ArrowRight",
	sdk.KeyArrowLeft: "ArrowLeft", sdk.KeyArrowDown: "ArrowDown", sdk.KeyArrowUp: "ArrowUp"}

// keyName names a GLFW key as a browser would: "a" (or "A" with shift), "5", " ", "Enter".
func keyName(k sdk.Key, m sdk.Mods) string {
	if n, ok := keyNames[k]; ok {
		return n
	}
	switch {
	case k >= 'A' && k <= 'Z':
		if m&sdk.ModShift != 0 {
			return string(rune(k))
		}
		return string(rune(k - 'A' + 'a'))
	case k >= 32 && k < 127:
		return string(rune(k))
	}
	return "Key" + strconv.Itoa(int(k))
}
