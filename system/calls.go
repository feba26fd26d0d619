package system

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
)

// The entries of calls by name: the kernel's (guests' call), the embedder's (Call, CallName)
// and the control socket's (`orbital call`). All go through one dispatcher (services.go), or
// what Config.WrapServices made of it.

// startServices makes the dispatcher of calls by name (after the supervisor, before any
// trigger starts a module that could call).
func (in *Instance) startServices() {
	in.svc = newServices(in.sup, in.serviceSpec, func(ctx context.Context, p proc, c kernel.ServiceCall) (bus.Message, error) {
		return p.(*kernel.Process).Call(ctx, c)
	})
	var d kernel.Services = in.svc
	if in.cfg.Cluster != nil {
		d = clusterCalls{in: in, local: d} // clustercalls.go
	}
	if in.cfg.WrapServices != nil {
		d = in.cfg.WrapServices(in.svc)
	}
	in.calls.Store(&d)
}

// instanceCalls is the kernel's Config.Services: the guests' calls go to the instance's
// dispatcher, made after the kernel.
type instanceCalls struct{ in *Instance }

func (c instanceCalls) Call(ctx context.Context, sc kernel.ServiceCall) (bus.Message, error) {
	return c.in.Call(ctx, sc)
}

// Call calls a service by name for the embedder (an HTTP route, `orbital call`): c.From is 0
// or a bus endpoint of the caller's, whose regions travel with the call and which holds the
// reply's. It starts the service when none of its processes runs. Errors match
// kernel.ErrNoService (not installed, not a service), kernel.ErrServiceCrashed (the process
// ended before it replied, or could not start), kernel.ErrServiceFailed (a
// *kernel.ServiceError: the handler failed the call), bus.ErrTimeout, bus.ErrFull (every
// instance is busy), bus.ErrTooBig or bus.ErrInvalid.
func (in *Instance) Call(ctx context.Context, c kernel.ServiceCall) (bus.Message, error) {
	d, _ := in.calls.Load().(*kernel.Services)
	if d == nil {
		return bus.Message{}, fmt.Errorf("%w: the instance is not started", kernel.ErrNoService)
	}
	return (*d).Call(ctx, c)
}

// CallName is Call of name ("weather.today": the service, then after the first dot the
// method) with payload, from the instance itself.
func (in *Instance) CallName(ctx context.Context, name string, payload []byte, timeout time.Duration) (bus.Message, error) {
	svc, method, err := kernel.SplitCallName(name)
	if err != nil {
		return bus.Message{}, err
	}
	return in.Call(ctx, kernel.ServiceCall{Service: svc, Method: method, Payload: payload, Timeout: timeout})
}

// CallService implements admin.Caller: `orbital call` through the control socket.
func (c *controller) CallService(ctx context.Context, req admin.CallRequest) (admin.CallReply, error) {
	rep, err := c.in.CallName(ctx, req.Name, req.Payload, req.Timeout)
	var se *kernel.ServiceError
	if errors.As(err, &se) {
		return admin.CallReply{Payload: []byte(se.Msg), Failed: true}, nil
	}
	if err != nil {
		return admin.CallReply{}, err
	}
	return admin.CallReply{Payload: rep.Payload}, nil
}

var _ admin.Caller = (*controller)(nil)
