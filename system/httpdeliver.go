package system

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/httproute"
)

// deliverHTTP hands m to a process of module and waits for its reply. The module receives it
// as a request on the topic "http.<module>", which it subscribes to (sdk.ServeHTTP does);
// when no process listens there, the module's unit is started, as the panel's Start does, and
// the request waits until the new process has subscribed (or ended, or ctx ends).
func (in *Instance) deliverHTTP(ctx context.Context, module string, m bus.Message) (bus.Message, error) {
	topic := "http." + module
	b := in.k.Bus()
	if b.Subscribers(topic) == 0 {
		p, err := in.sup.ensureUnit(ctx, module)
		if err != nil {
			return bus.Message{}, errHTTPStart(module, err)
		}
		if err := waitSubscribed(ctx, b, topic, p); err != nil {
			return bus.Message{}, err
		}
	}
	m.Topic = topic
	rep, err := b.Request(ctx, m, 0)
	switch {
	case err == nil:
		return rep, nil
	case errors.Is(err, bus.ErrTimeout) || ctx.Err() != nil:
		return rep, fmt.Errorf("%w: %v", httproute.ErrNoReply, err)
	case errors.Is(err, bus.ErrFull):
		return rep, fmt.Errorf("%w: %v", httproute.ErrBusy, err)
	case errors.Is(err, bus.ErrNotFound):
		return rep, fmt.Errorf("%w: %v", httproute.ErrCrashed, err)
	}
	return rep, fmt.Errorf("%w: %v", httproute.ErrUnavailable, err)
}

// waitSubscribed waits until topic has a subscriber; p ending first is a crash.
func waitSubscribed(ctx context.Context, b *bus.Bus, topic string, p proc) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for b.Subscribers(topic) == 0 {
		select {
		case <-p.Done():
			if b.Subscribers(topic) > 0 {
				return nil
			}
			return fmt.Errorf("%w: it ended (%s) before it listened for requests (does it call sdk.ServeHTTP?)", httproute.ErrCrashed, p.Info().Reason)
		case <-ctx.Done():
			return fmt.Errorf("%w: it did not listen for requests in time", httproute.ErrNoReply)
		case <-t.C:
		}
	}
	return nil
}

// ensureUnit returns the running process of the module's unit, starting one when none runs
// (a unit made on first use for a module without triggers).
func (s *supervisor) ensureUnit(ctx context.Context, name string) (proc, error) {
	p, err := s.ensureIn(ctx, s.unitOf(name, ""), nil, "http")
	if errors.Is(err, errNoRun) {
		err = fmt.Errorf("%w (%s stopped restarting after a crash loop, or the instance is closing; start it from the panel)", err, name)
	}
	return p, err
}
