package admin

import (
	"context"
	"errors"
	"time"
)

// Caller is a Controller that calls services by name: `orbital call` through the control
// socket, answered by the running instance's dispatcher (it starts the service if needed).
type Caller interface {
	CallService(ctx context.Context, req CallRequest) (CallReply, error)
}

// CallRequest is one `orbital call`.
type CallRequest struct {
	Name    string        `json:"name"` // "weather.today"
	Payload []byte        `json:"payload,omitempty"`
	Timeout time.Duration `json:"timeout"` // at most MaxCallTimeout
}

// CallReply is its answer: the reply's payload, or with Failed the service's failure message.
type CallReply struct {
	Payload []byte `json:"payload,omitempty"`
	Failed  bool   `json:"failed,omitempty"`
}

// MaxCallTimeout bounds a call through the control socket, which answers within 30 s.
const MaxCallTimeout = 25 * time.Second

// ErrNoCalls: the instance's Controller does not call services.
var ErrNoCalls = errors.New("this instance does not call services")

func (s *ControlServer) handleCall(req controlRequest, rep *controlReply) error {
	ctl := s.ctl
	if sm, ok := ctl.(*Sampler); ok {
		ctl = sm.Controller
	}
	c, ok := ctl.(Caller)
	if !ok || req.Call == nil {
		return ErrNoCalls
	}
	r := *req.Call
	if r.Timeout <= 0 || r.Timeout > MaxCallTimeout {
		r.Timeout = MaxCallTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.Timeout+time.Second)
	defer cancel()
	out, err := c.CallService(ctx, r)
	rep.Call = &out
	return err
}

// Call calls a service by name on the running instance.
func (c ControlClient) Call(ctx context.Context, req CallRequest) (CallReply, error) {
	rep, err := c.call(ctx, controlRequest{Op: "call", Call: &req})
	if rep.Call == nil {
		return CallReply{}, err
	}
	return *rep.Call, err
}
