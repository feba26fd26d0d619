package jsrt

import (
	"encoding/json"
	"net/textproto"
	"sort"
	"time"

	"github.com/dop251/goja"
	"github.com/orbital/orbital/modules/sdk"
)

// fetch implements fetch(url, {method, headers, body, timeout}) -> Promise<Response> over
// sdk.Fetch: the host makes the request, checked against the script's [net] allow policy. The
// call blocks the loop until the whole response is in; a network failure or a refusal rejects
// with a TypeError as in browsers (its code says which: ERR_DENIED, ERR_NETWORK, ...), an HTTP
// status such as 404 resolves.
func (r *Runtime) fetch(call goja.FunctionCall) goja.Value {
	vm := r.vm
	req := sdk.HTTPRequest{URL: call.Argument(0).String(), Header: map[string][]string{}}
	if init, ok := call.Argument(1).(*goja.Object); ok {
		if m := init.Get("method"); m != nil && !goja.IsUndefined(m) {
			req.Method = m.String()
		}
		if b := init.Get("body"); b != nil && !goja.IsUndefined(b) && !goja.IsNull(b) {
			req.Body = r.dataBytes(b)
		}
		if t := init.Get("timeout"); t != nil && !goja.IsUndefined(t) {
			req.Timeout = time.Duration(t.ToFloat() * float64(time.Millisecond))
		}
		if h, ok := init.Get("headers").(*goja.Object); ok {
			for _, k := range h.Keys() {
				req.Header[k] = append(req.Header[k], h.Get(k).String())
			}
		}
	}
	p, resolve, reject := vm.NewPromise()
	resp, err := r.host.Fetch(req)
	if err != nil {
		e := vm.NewTypeError("fetch " + req.URL + ": " + err.Error())
		if code := errCode(err); code != "" {
			e.Set("code", code)
		}
		reject(e)
	} else {
		resolve(r.responseObject(req.URL, resp))
	}
	return vm.ToValue(p)
}

// responseObject is a Response: status, ok, url, headers.get(name), and text(), json(),
// arrayBuffer() and bytes() as promises (the body is already in memory).
func (r *Runtime) responseObject(url string, resp *sdk.HTTPResponse) *goja.Object {
	vm := r.vm
	o := vm.NewObject()
	o.Set("status", resp.Status)
	o.Set("ok", resp.Status >= 200 && resp.Status < 300)
	o.Set("url", url)
	h := vm.NewObject()
	h.Set("get", func(call goja.FunctionCall) goja.Value {
		if v := resp.Get(call.Argument(0).String()); v != "" {
			return vm.ToValue(v)
		}
		return goja.Null()
	})
	h.Set("has", func(call goja.FunctionCall) goja.Value {
		_, ok := resp.Header[textproto.CanonicalMIMEHeaderKey(call.Argument(0).String())]
		return vm.ToValue(ok)
	})
	h.Set("keys", func(goja.FunctionCall) goja.Value {
		keys := make([]string, 0, len(resp.Header))
		for k := range resp.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return vm.ToValue(keys)
	})
	o.Set("headers", h)
	settled := func(v func() (goja.Value, error)) func(goja.FunctionCall) goja.Value {
		return func(goja.FunctionCall) goja.Value {
			p, resolve, reject := vm.NewPromise()
			if val, err := v(); err != nil {
				reject(vm.NewGoError(err))
			} else {
				resolve(val)
			}
			return vm.ToValue(p)
		}
	}
	o.Set("text", settled(func() (goja.Value, error) { return vm.ToValue(string(resp.Body)), nil }))
	o.Set("json", settled(func() (goja.Value, error) {
		var v any
		if err := json.Unmarshal(resp.Body, &v); err != nil {
			return nil, err
		}
		return vm.ToValue(v), nil
	}))
	o.Set("bytes", settled(func() (goja.Value, error) { return r.bytesValue(resp.Body), nil }))
	o.Set("arrayBuffer", settled(func() (goja.Value, error) {
		return vm.ToValue(vm.NewArrayBuffer(append([]byte{}, resp.Body...))), nil
	}))
	return o
}
