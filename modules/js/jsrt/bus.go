package jsrt

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/orbital/orbital/modules/sdk"
)

// DefaultRequestTimeout bounds orbital.bus.request when the script gives no timeout.
const DefaultRequestTimeout = 5 * time.Second

// subscription is one orbital.bus.subscribe or serve: a host subscription and its handler.
type subscription struct {
	id      int32
	pattern string
	fn      goja.Callable
	serve   bool // requests are answered with the handler's result
}

// orbitalObject builds the orbital global: the process, windows and the bus.
func (r *Runtime) orbitalObject() *goja.Object {
	vm := r.vm
	o := vm.NewObject()
	o.Set("pid", r.host.PID())
	o.Set("file", r.file)
	args := r.host.Args()
	if args == nil {
		args = []string{}
	}
	o.Set("args", args)
	env := vm.NewObject()
	for _, kv := range r.host.Env() {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			env.Set(k, v)
		}
	}
	o.Set("env", env)
	o.Set("exit", func(call goja.FunctionCall) goja.Value {
		vm.Interrupt(exitRequest{code: int(call.Argument(0).ToInteger())})
		return goja.Undefined()
	})
	o.Set("on", func(call goja.FunctionCall) goja.Value {
		if ev := call.Argument(0).String(); ev != "quit" {
			panic(vm.NewTypeError("orbital.on: unknown event " + ev + " (only 'quit')"))
		}
		r.onQuit = append(r.onQuit, r.callable(call.Argument(1), "orbital.on"))
		return goja.Undefined()
	})
	o.Set("openWindow", r.openWindow)
	o.Set("bus", r.busObject())
	return o
}

func (r *Runtime) busObject() *goja.Object {
	vm := r.vm
	b := vm.NewObject()
	b.Set("send", func(call goja.FunctionCall) goja.Value {
		pid := call.Argument(0).ToInteger()
		if pid <= 0 || pid > 1<<32-1 {
			panic(vm.NewTypeError("orbital.bus.send: not a pid"))
		}
		r.check(r.host.Send(uint32(pid), r.dataBytes(call.Argument(1))))
		return goja.Undefined()
	})
	b.Set("publish", func(call goja.FunctionCall) goja.Value {
		r.check(r.host.Publish(call.Argument(0).String(), r.dataBytes(call.Argument(1))))
		return goja.Undefined()
	})
	b.Set("subscribe", func(call goja.FunctionCall) goja.Value {
		return r.subscribe(call.Argument(0).String(), call.Argument(1), call.Argument(2), false)
	})
	b.Set("serve", func(call goja.FunctionCall) goja.Value {
		return r.subscribe(call.Argument(0).String(), call.Argument(1), goja.Undefined(), true)
	})
	b.Set("request", r.request)
	b.Set("onMessage", func(call goja.FunctionCall) goja.Value {
		r.onMsg = append(r.onMsg, r.callable(call.Argument(0), "orbital.bus.onMessage"))
		return goja.Undefined()
	})
	return b
}

// subscribe implements subscribe(pattern, fn, {lossy}) and serve(pattern, fn); it returns
// {id, pattern, unsubscribe()}.
func (r *Runtime) subscribe(pattern string, fnv, opts goja.Value, serve bool) goja.Value {
	fn := r.callable(fnv, "orbital.bus.subscribe")
	mode := sdk.Reliable
	if o, ok := opts.(*goja.Object); ok && o.Get("lossy") != nil && o.Get("lossy").ToBoolean() {
		mode = sdk.Lossy
	}
	id, err := r.host.Subscribe(pattern, mode)
	r.check(err)
	s := &subscription{id: id, pattern: pattern, fn: fn, serve: serve}
	r.subs[id] = s
	h := r.vm.NewObject()
	h.Set("id", id)
	h.Set("pattern", pattern)
	h.Set("unsubscribe", func(goja.FunctionCall) goja.Value {
		if r.subs[id] == s {
			delete(r.subs, id)
			r.check(r.host.Unsubscribe(id))
		}
		return goja.Undefined()
	})
	return h
}

// dispatchTopic hands a publish or request to the subscription it came through.
func (r *Runtime) dispatchTopic(m sdk.Message) {
	s := r.subs[m.Sub]
	if s == nil {
		return // unsubscribed while it was queued
	}
	msg := r.messageObject(m)
	if !s.serve || m.Kind != sdk.KindRequest {
		r.call(s.fn, nil, msg)
		return
	}
	v := r.call(s.fn, nil, msg)
	if r.done() {
		return
	}
	reply := func(v goja.Value) {
		if err := r.host.Reply(m, r.dataBytes(v)); err != nil && !errors.Is(err, sdk.ErrNotFound) {
			r.fail("orbital.bus.serve(%q): reply: %v", s.pattern, err) // ErrNotFound: the requester gave up
		}
	}
	if _, ok := v.Export().(*goja.Promise); ok {
		r.then(v, reply, nil) // a rejection stays unhandled and fails the script
		return
	}
	reply(v)
}

// request implements request(topic, data, {timeout: ms}) -> Promise<message>. The host call
// blocks the loop until the reply or the timeout; the promise is settled when it returns.
func (r *Runtime) request(call goja.FunctionCall) goja.Value {
	timeout := DefaultRequestTimeout
	if o, ok := call.Argument(2).(*goja.Object); ok {
		if t := o.Get("timeout"); t != nil && !goja.IsUndefined(t) {
			timeout = time.Duration(t.ToFloat() * float64(time.Millisecond))
		}
	}
	p, resolve, reject := r.vm.NewPromise()
	m, err := r.host.Request(call.Argument(0).String(), r.dataBytes(call.Argument(1)), timeout)
	if err != nil {
		reject(r.errorValue(errCode(err), err.Error()))
	} else {
		resolve(r.messageObject(m))
	}
	return r.vm.ToValue(p)
}

// messageObject is what handlers get: {kind, from, topic, data, text(), json(), reply()}.
func (r *Runtime) messageObject(m sdk.Message) *goja.Object {
	vm := r.vm
	o := vm.NewObject()
	o.Set("kind", m.Kind.String())
	o.Set("from", m.From)
	o.Set("topic", m.Topic)
	o.Set("data", r.bytesValue(m.Payload))
	o.Set("text", func(goja.FunctionCall) goja.Value { return vm.ToValue(string(m.Payload)) })
	o.Set("json", func(goja.FunctionCall) goja.Value {
		var v any
		if err := json.Unmarshal(m.Payload, &v); err != nil {
			panic(vm.NewGoError(err))
		}
		return vm.ToValue(v)
	})
	o.Set("reply", func(call goja.FunctionCall) goja.Value {
		if m.Kind != sdk.KindRequest {
			panic(vm.NewTypeError("reply: this " + m.Kind.String() + " message is not a request"))
		}
		r.check(r.host.Reply(m, r.dataBytes(call.Argument(0))))
		return goja.Undefined()
	})
	return o
}

// check throws err as a JavaScript Error with the ABI's code ("ERR_DENIED") as its code.
func (r *Runtime) check(err error) {
	if err != nil {
		r.throwError(errCode(err), "%v", err)
	}
}

var errName = regexp.MustCompile(`ERR_[A-Z_]+`)

// errCode is the ABI name of the sdk.Errno inside err, or "".
func errCode(err error) string {
	var e sdk.Errno
	if errors.As(err, &e) {
		return errName.FindString(e.Error())
	}
	return ""
}

// dataBytes turns what a script sends into bytes: a string as UTF-8, an ArrayBuffer or a
// view of one as its bytes, undefined or null as nothing, anything else as JSON.
func (r *Runtime) dataBytes(v goja.Value) []byte {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	if b, ok := r.bytesOf(v); ok {
		return b
	}
	if _, ok := v.(*goja.Object); !ok {
		return []byte(v.String())
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(r.vm.NewTypeError("cannot send this value: " + err.Error()))
	}
	return b
}

// bytesOf returns the bytes of an ArrayBuffer or of any view of one (typed arrays, DataView),
// sharing their memory, or ok=false. A string is not bytes here.
func (r *Runtime) bytesOf(v goja.Value) ([]byte, bool) {
	o, ok := v.(*goja.Object)
	if !ok {
		return nil, false
	}
	switch x := o.Export().(type) {
	case goja.ArrayBuffer:
		return x.Bytes(), true
	case []byte:
		return x, true
	}
	bv := o.Get("buffer")
	if bv == nil {
		return nil, false
	}
	buf, ok := bv.Export().(goja.ArrayBuffer)
	if !ok {
		return nil, false
	}
	off, n := o.Get("byteOffset").ToInteger(), o.Get("byteLength").ToInteger()
	all := buf.Bytes()
	if off < 0 || n < 0 || off+n > int64(len(all)) {
		return nil, false
	}
	return all[off : off+n], true
}

// bytesValue copies b into a new Uint8Array.
func (r *Runtime) bytesValue(b []byte) goja.Value {
	ab := r.vm.NewArrayBuffer(append([]byte{}, b...))
	u8, err := r.vm.New(r.u8, r.vm.ToValue(ab))
	if err != nil {
		panic(err)
	}
	return u8
}
