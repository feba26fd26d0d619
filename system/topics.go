package system

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/orbital/orbital/bus"
)

// Topic triggers. A unit with [triggers] topics gets a relay: a bus endpoint of the instance
// (a pid from relayBase up) subscribed to the topics. A message there starts the module when
// no process of it runs, and is forwarded to it (bus.Forward: topic, sender and regions kept)
// as its first message; while it runs, the relay forwards every message of the topics, in
// order. So nothing published while the module starts is lost (it waits in the relay's inbox),
// a storm starts one process, and what does not fit queues in the relay's bounded inbox, where
// reliable publishers wait for room and lossy topics (bus.SetTopicMode) drop their oldest
// messages, as they would in the module's own inbox. The module gets its trigger topics from
// the relay and must not subscribe to them itself (it would receive each message twice); it
// receives a topic only if its namespace grants subscribing to it.

// relayBase is the first bus pid of the relays: far above the kernel's pids (counting from 1)
// and the drivers' (from 1<<20).
const relayBase bus.PID = 1 << 28

type relay struct {
	in     *Instance
	j      *job
	pid    bus.PID
	inbox  *bus.Inbox
	lossy  map[uint32]bool // subscription id -> lossy
	denied atomic.Bool     // told the log once that policy refuses a topic
}

// startRelay attaches j's relay and subscribes it to j's topics, each in the topic's mode.
func (in *Instance) startRelay(j *job, pid bus.PID) error {
	b := in.k.Bus()
	ib, err := b.Attach(pid, bus.InboxLimits{})
	if err != nil {
		return err
	}
	r := &relay{in: in, j: j, pid: pid, inbox: ib, lossy: map[uint32]bool{}}
	for _, t := range j.topics {
		mode := bus.Reliable
		if b.TopicMode(t) == bus.Lossy {
			mode = bus.Lossy
		}
		id, err := b.Subscribe(pid, t, mode)
		if err != nil {
			b.Detach(pid)
			return err
		}
		r.lossy[id] = mode == bus.Lossy
	}
	in.sup.wg.Add(1)
	go r.loop(in.sup.ctx)
	in.undo = append(in.undo, func() { b.Detach(pid) })
	return nil
}

// loop forwards the relay's messages until the supervisor closes.
func (r *relay) loop(ctx context.Context) {
	defer r.in.sup.wg.Done()
	b := r.in.k.Bus()
	for {
		m, err := r.inbox.Recv(ctx)
		if err != nil {
			return
		}
		if m.Kind != bus.KindPublish {
			continue // a request cannot be answered through the relay
		}
		if !r.forward(ctx, b, m) {
			for _, a := range m.Regions {
				b.RegionRelease(r.pid, a.Handle) // no reader: the relay lets go of its regions
			}
		}
	}
}

// forward hands m to the running process of the unit, starting one if none runs; it reports
// whether m was delivered (or dropped as a lossy message is).
func (r *relay) forward(ctx context.Context, b *bus.Bus, m bus.Message) bool {
	for {
		p, err := r.in.sup.ensure(ctx, r.j)
		if err != nil {
			return false // stopped restarting, or closing: the message has no reader
		}
		if ns := r.in.k.Namespace(p.PID()); ns != nil && !ns.AllowSubscribe(m.Topic) {
			if !r.denied.Swap(true) {
				r.in.sup.log(p.PID(), "topic trigger: policy does not grant subscribing to "+m.Topic+"; its messages are not forwarded")
			}
			return false
		}
		err = b.Forward(ctx, r.pid, p.PID(), m, r.lossy[m.Sub])
		if !errors.Is(err, bus.ErrNotFound) {
			return err == nil
		}
		// The process ended under us: the message goes to the next one.
	}
}
