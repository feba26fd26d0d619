package jsrt

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// bindGlobals defines what a script sees besides the ECMAScript built-ins.
func (r *Runtime) bindGlobals() {
	vm := r.vm
	console := vm.NewObject()
	for _, c := range []struct {
		name string
		out  func() io.Writer
	}{{"log", r.host.Stdout}, {"info", r.host.Stdout}, {"debug", r.host.Stdout},
		{"warn", r.host.Stderr}, {"error", r.host.Stderr}} {
		out := c.out
		console.Set(c.name, func(call goja.FunctionCall) goja.Value {
			io.WriteString(out(), r.format(call.Arguments)+"\n")
			return goja.Undefined()
		})
	}
	vm.Set("console", console)

	vm.Set("setTimeout", func(call goja.FunctionCall) goja.Value { return r.setTimer(call, false) })
	vm.Set("setInterval", func(call goja.FunctionCall) goja.Value { return r.setTimer(call, true) })
	clear := func(call goja.FunctionCall) goja.Value {
		r.timers.cancel(int(call.Argument(0).ToInteger()))
		return goja.Undefined()
	}
	vm.Set("clearTimeout", clear)
	vm.Set("clearInterval", clear)
	vm.Set("requestAnimationFrame", r.requestFrame)
	vm.Set("cancelAnimationFrame", func(call goja.FunctionCall) goja.Value {
		delete(r.frames.cbs, int(call.Argument(0).ToInteger()))
		return goja.Undefined()
	})
	vm.Set("queueMicrotask", func(call goja.FunctionCall) goja.Value {
		fn := r.callable(call.Argument(0), "queueMicrotask")
		p, resolve, _ := vm.NewPromise()
		resolve(goja.Undefined())
		r.then(vm.ToValue(p), func(goja.Value) { r.call(fn, nil) }, nil)
		return goja.Undefined()
	})
	perf := vm.NewObject()
	perf.Set("now", func(goja.FunctionCall) goja.Value { return vm.ToValue(r.nowMS()) })
	vm.Set("performance", perf)
	vm.Set("fetch", r.fetch)
	r.bindText()
	vm.Set("orbital", r.orbitalObject())
}

// nowMS is the host's monotonic clock in milliseconds, as performance.now() gives it.
func (r *Runtime) nowMS() float64 { return float64(r.host.Now()) / float64(time.Millisecond) }

// setTimer implements setTimeout and setInterval: (fn, delay ms, ...args) -> id.
func (r *Runtime) setTimer(call goja.FunctionCall, repeat bool) goja.Value {
	fn := r.callable(call.Argument(0), "setTimeout")
	d := call.Argument(1).ToFloat()
	if math.IsNaN(d) || d < 0 {
		d = 0
	}
	d = min(d, float64(math.MaxInt64/int64(time.Millisecond))/2)
	delay := time.Duration(d * float64(time.Millisecond))
	t := &timer{due: r.host.Now() + delay, fn: fn}
	if repeat {
		t.interval = max(delay, time.Millisecond) // an interval of 0 would spin
	}
	if len(call.Arguments) > 2 {
		t.args = append([]goja.Value(nil), call.Arguments[2:]...)
	}
	return r.vm.ToValue(r.timers.add(t))
}

// requestFrame implements requestAnimationFrame(fn) -> id; fn gets the frame's time in ms.
func (r *Runtime) requestFrame(call goja.FunctionCall) goja.Value {
	fn := r.callable(call.Argument(0), "requestAnimationFrame")
	if r.frames.cbs == nil {
		r.frames.cbs = map[int]goja.Callable{}
	}
	r.frames.next++
	r.frames.cbs[r.frames.next] = fn
	r.frames.ids = append(r.frames.ids, r.frames.next)
	return r.vm.ToValue(r.frames.next)
}

// callable returns v as a function or throws a TypeError naming who wanted one.
func (r *Runtime) callable(v goja.Value, who string) goja.Callable {
	fn, ok := goja.AssertFunction(v)
	if !ok {
		panic(r.vm.NewTypeError(who + ": the argument is not a function"))
	}
	return fn
}

// then attaches Go reactions to a thenable value (either may be nil).
func (r *Runtime) then(v goja.Value, onFulfilled, onRejected func(goja.Value)) {
	o, ok := v.(*goja.Object)
	if !ok {
		return
	}
	thenFn, ok := goja.AssertFunction(o.Get("then"))
	if !ok {
		return
	}
	wrap := func(f func(goja.Value)) goja.Value {
		if f == nil {
			return goja.Undefined()
		}
		return r.vm.ToValue(func(call goja.FunctionCall) goja.Value {
			f(call.Argument(0))
			return goja.Undefined()
		})
	}
	_, err := thenFn(o, wrap(onFulfilled), wrap(onRejected))
	r.settle(err)
}

// format renders console arguments: strings as they are, other values as JSON where that
// reads well, else as JavaScript's String() does.
func (r *Runtime) format(args []goja.Value) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = r.inspect(a)
	}
	return strings.Join(parts, " ")
}

func (r *Runtime) inspect(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) {
		return "undefined"
	}
	if goja.IsNull(v) {
		return "null"
	}
	o, ok := v.(*goja.Object)
	if !ok {
		return v.String()
	}
	switch o.ClassName() {
	case "Error":
		return r.describe(v)
	case "Function":
		return "[Function]"
	case "Object", "Array":
		if b, err := json.Marshal(o); err == nil {
			return string(b)
		}
	}
	return v.String()
}

// bindText defines TextEncoder (UTF-8 only) and TextDecoder (UTF-8 only, bad bytes as
// U+FFFD), enough to move text in and out of bus messages and pixels.
func (r *Runtime) bindText() {
	vm := r.vm
	vm.Set("TextEncoder", func(call goja.ConstructorCall) *goja.Object {
		call.This.Set("encoding", "utf-8")
		call.This.Set("encode", func(c goja.FunctionCall) goja.Value {
			s := ""
			if a := c.Argument(0); !goja.IsUndefined(a) {
				s = a.String()
			}
			return r.bytesValue([]byte(s))
		})
		return nil
	})
	vm.Set("TextDecoder", func(call goja.ConstructorCall) *goja.Object {
		if enc := call.Argument(0); !goja.IsUndefined(enc) {
			if e := strings.ToLower(enc.String()); e != "utf-8" && e != "utf8" {
				panic(vm.NewTypeError(fmt.Sprintf("TextDecoder: %q is not supported (only utf-8)", enc.String())))
			}
		}
		call.This.Set("encoding", "utf-8")
		call.This.Set("decode", func(c goja.FunctionCall) goja.Value {
			b, ok := r.bytesOf(c.Argument(0))
			if !ok && !goja.IsUndefined(c.Argument(0)) {
				panic(vm.NewTypeError("TextDecoder.decode: want an ArrayBuffer or a typed array"))
			}
			return vm.ToValue(strings.ToValidUTF8(string(b), string(utf8.RuneError)))
		})
		return nil
	})
}
