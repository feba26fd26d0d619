package system

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/httproute"
	"github.com/orbital/orbital/kernel"
)

// Delivery of HTTP route requests (docs/design/http.md): the route's module is called as a
// service by name, method "http", with the encoded request as the payload, through
// Instance.Call. So a route has what a service has: its instances, the least-queued pick,
// start on demand, idle stop and the restart policy; a reactor answers in its handler, a
// command module in its receive loop. A module with routes that is not an installed service
// (a bare .wasm, an app) is served as a service of one instance that is never stopped for
// being idle (routedSpec).

// routeMethod is the method of a route's call (sdk.RouteMethod).
const routeMethod = "http"

// httpCaller delivers a request to a process of the module (httproute.Caller).
type httpCaller struct {
	in   *Instance
	bufs replyBufs
}

func (c *httpCaller) Call(ctx context.Context, module string, msg httproute.Message) (httproute.Message, error) {
	b := c.in.k.Bus()
	var atts []bus.Attachment
	if msg.Region != nil {
		h, err := b.RegionGive(httpPID, msg.Region)
		if err != nil {
			return httproute.Message{}, fmt.Errorf("%w: %v", httproute.ErrUnavailable, err)
		}
		atts = []bus.Attachment{{Handle: h, Rights: bus.RightRead | bus.FlagTransfer}}
	}
	buf := c.bufs.get()
	rep, err := c.in.Call(ctx, kernel.ServiceCall{From: httpPID, Service: module, Method: routeMethod, Payload: msg.Payload, Regions: atts, ReplyBuf: (*buf)[:0]})
	if err != nil { // buf is dropped: a reply on its way may still be written into it
		for _, a := range atts {
			b.RegionRelease(httpPID, a.Handle) // not delivered: still ours (delivered: gone, and handles are not reused)
		}
		return httproute.Message{}, httpError(module, err)
	}
	out := httproute.Message{Payload: rep.Payload, Release: func() { c.bufs.put(buf, len(rep.Payload)) }}
	for i, a := range rep.Regions {
		if i == 0 {
			if r, _, err := b.Region(httpPID, a.Handle); err == nil {
				out.Region = append([]byte(nil), r.Bytes()...)
			}
		}
		b.RegionRelease(httpPID, a.Handle)
	}
	return out, nil
}

// replyBufs are the buffers lent to the reply of a route's call (kernel.ServiceCall.ReplyBuf):
// a reactor's reply is copied there instead of into a new allocation, so a route answering
// 64 KiB makes no 64 KiB of garbage per request (measured: the host's GC took 14% of the CPU
// before, docs/design/http.md). A buffer goes back only after its call got a reply (nothing
// writes to it then); its size follows the largest reply seen, up to the bus's maximum.
type replyBufs struct {
	pool sync.Pool    // *[]byte
	want atomic.Int64 // the capacity a buffer should have
}

const minReplyBuf = 4 << 10

func (r *replyBufs) get() *[]byte {
	want := max(int(r.want.Load()), minReplyBuf)
	if b, _ := r.pool.Get().(*[]byte); b != nil && cap(*b) >= want {
		return b
	}
	b := make([]byte, 0, want)
	return &b
}

// put returns b after a reply of n bytes (which did not fit when n > cap(*b): the next
// buffers are made that large).
func (r *replyBufs) put(b *[]byte, n int) {
	if n > cap(*b) && n <= maxReplyBuf {
		for w := r.want.Load(); int64(n) > w && !r.want.CompareAndSwap(w, int64(n)); w = r.want.Load() {
		}
	}
	r.pool.Put(b)
}

// maxReplyBuf bounds the buffers kept: the bus's default maximum payload.
const maxReplyBuf = 1 << 20

// httpError maps a failed call to the server's errors (and so to a status): no reply in
// time 504, every instance busy 503, the process ended or could not start 502, anything
// else (the module failed the call, is no service, the payload was refused) 502.
func httpError(module string, err error) error {
	var se *kernel.ServiceError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%w: %s failed the request: %s", httproute.ErrUnavailable, module, se.Msg)
	case errors.Is(err, bus.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return fmt.Errorf("%w: %v", httproute.ErrNoReply, err)
	case errors.Is(err, bus.ErrFull):
		return fmt.Errorf("%w: %v", httproute.ErrBusy, err)
	case errors.Is(err, kernel.ErrServiceCrashed) || errors.Is(err, bus.ErrEnded) || errors.Is(err, bus.ErrNotFound):
		return fmt.Errorf("%w: %v", httproute.ErrCrashed, err)
	}
	return fmt.Errorf("%w: %v", httproute.ErrUnavailable, err)
}

// routedSpec is the service a module with routes is when it is not an installed service: one
// instance, started by its first request and ended when it chooses (never for being idle: it
// has no manifest that says when), restarted as its manifest says (restart; "" is never).
func routedSpec(restart string) serviceSpec { return serviceSpec{instances: 1, restart: restart} }

// servesRoutes reports whether the route table holds a prefix of module.
func (in *Instance) servesRoutes(module string) bool {
	m := in.routed.Load()
	return m != nil && (*m)[module]
}
