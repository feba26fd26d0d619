package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/orbital/orbital/bus"
)

// Services by name across nodes. Every node that has a service installed subscribes
// orb.svc.NAME in the queue group "svc", so NATS hands each call to one of them; the
// instance's dispatcher (package system) calls here only when the service is not installed
// on this node: local instances first. A node that is lost leaves the queue group with its
// connection, so calls fail over to the others. The caller's [bus] call grant was checked on
// its node; the serving node checks its own policy for the caller's module (ServeCalls'
// handler gets the caller as a process proxy bound to it).

const subjService = "orb.svc.%s"

// Errors of a call served on another node, matching what the serving node's dispatcher said.
var (
	ErrNoService      = errors.New("no node has the service")
	ErrServiceCrashed = errors.New("the service crashed")
)

// ServiceFailed is a call the service's handler failed, on whatever node: Msg is what it said.
type ServiceFailed struct{ Msg string }

func (e *ServiceFailed) Error() string { return "the service failed the call: " + e.Msg }

// Call is one call of a service by name, as the serving node's handler gets it.
type Call struct {
	From    bus.PID // the caller's process proxy on this node (bound to this node's policy)
	Module  string  // the caller's module name
	Service string
	Method  string
	Payload []byte
	Regions []bus.Attachment // handles of From
	Timeout time.Duration
}

// CallHandler serves a call from another node (the instance's dispatcher). The reply's
// regions must be handles of c.From.
type CallHandler func(ctx context.Context, c Call) (bus.Message, error)

// ServeCalls sets the handler of calls from other nodes; the node subscribes to the services
// Host.Snapshot lists (Announcement.Services) at every announcement.
func (n *Node) ServeCalls(h CallHandler) {
	n.mu.Lock()
	n.callHandler = h
	n.mu.Unlock()
}

// syncServices keeps one queue subscription per installed service.
func (n *Node) syncServices(names []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.callHandler == nil {
		return
	}
	want := map[string]bool{}
	for _, s := range names {
		want[s] = true
		if n.svcSubs[s] != nil {
			continue
		}
		sub, err := n.nc.QueueSubscribe(fmt.Sprintf(subjService, s), "svc", n.onCall)
		if err != nil {
			continue
		}
		n.svcSubs[s] = sub
	}
	for s, sub := range n.svcSubs {
		if !want[s] {
			sub.Unsubscribe()
			delete(n.svcSubs, s)
		}
	}
}

// CallRemote calls service.method on some node that has it (NATS picks one of the queue
// group). from is the local caller; its regions are copied across, the reply's come back as
// handles of from.
func (n *Node) CallRemote(ctx context.Context, from bus.PID, service, method string, payload []byte, regions []bus.Attachment, timeout time.Duration) (bus.Message, error) {
	if !n.hasService(service) {
		return bus.Message{}, fmt.Errorf("%w: %s is installed on no node of the cluster", ErrNoService, service)
	}
	// The caller keeps its handles: their bytes are copied into the frame.
	f := frame{op: opMessage, kind: uint32(bus.KindCall), from: uint32(from), topic: service + "." + method, payload: payload}
	if from != 0 {
		f.module = n.cfg.Host.ModuleName(from)
	}
	total := 0
	for _, a := range regions {
		r, _, err := n.b.Region(from, a.Handle)
		if err != nil {
			return bus.Message{}, err
		}
		if total += int(r.Size()); total > MaxRegionCopy {
			return bus.Message{}, fmt.Errorf("%w: %d region bytes to another node, the limit is %d", bus.ErrTooBig, total, MaxRegionCopy)
		}
		f.regions = append(f.regions, wireRegion{rights: uint32(a.Rights &^ bus.FlagTransfer), data: r.Bytes()})
	}
	if timeout <= 0 || timeout > requestTimeout {
		timeout = requestTimeout
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = max(time.Until(d), time.Millisecond)
	}
	f.to = uint32(timeout.Milliseconds())
	req := nats.NewMsg(fmt.Sprintf(subjService, service))
	req.Data = f.encode()
	req.Header.Set("Orbital-Node", n.cfg.Name)
	msg, err := n.nc.RequestMsg(req, timeout)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return bus.Message{}, fmt.Errorf("%w: no node up serves %s", ErrNoService, service)
	case errors.Is(err, nats.ErrTimeout):
		return bus.Message{}, fmt.Errorf("%w: %s: no reply from another node within %v", bus.ErrTimeout, service, timeout)
	case err != nil:
		return bus.Message{}, fmt.Errorf("%w: %s: %v", ErrServiceCrashed, service, err)
	}
	r, err := decodeFrame(msg.Data)
	if err != nil {
		return bus.Message{}, fmt.Errorf("%s: a bad reply from another node: %w", service, err)
	}
	if r.op == opError {
		return bus.Message{}, wireErr("serving "+service, r)
	}
	var atts []bus.Attachment
	for _, wr := range r.regions {
		h, err := n.b.RegionGive(from, wr.data)
		if err != nil {
			n.release(from, atts)
			return bus.Message{}, err
		}
		atts = append(atts, bus.Attachment{Handle: h, Rights: bus.Rights(wr.rights) & (bus.RightRead | bus.RightWrite)})
	}
	return bus.Message{Kind: bus.KindReply, From: from, Payload: r.payload, Regions: atts, Flags: r.to}, nil
}

// hasService reports whether some up member (this node not counted) announced service.
func (n *Node) hasService(service string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for name, m := range n.members {
		if name == n.cfg.Name || m.lost {
			continue
		}
		for _, s := range m.ann.Services {
			if s == service {
				return true
			}
		}
	}
	return false
}

// onCall serves a call from another node.
func (n *Node) onCall(msg *nats.Msg) {
	f, err := decodeFrame(msg.Data)
	if err == nil && (f.op != opMessage || f.kind != uint32(bus.KindCall)) {
		err = fmt.Errorf("%w: op %d kind %d on a service subject", errFrame, f.op, f.kind)
	}
	if err != nil {
		n.bad.Add(1)
		n.logOnce("call-frame", "cluster: refused a call: %v", err)
		msg.Respond(errFrameOf(0, fmt.Errorf("%w: %v", bus.ErrInvalid, err)).encode())
		return
	}
	src := n.callerNode(msg)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		msg.Respond(n.serveCall(src, f).encode())
	}()
}

// callerNode is the calling node, which names itself in a header (a request's reply subject
// does not say whose it is).
func (n *Node) callerNode(msg *nats.Msg) string {
	if msg.Header != nil {
		return msg.Header.Get("Orbital-Node")
	}
	return ""
}

func (n *Node) serveCall(src string, f frame) frame {
	n.mu.Lock()
	h := n.callHandler
	n.mu.Unlock()
	if h == nil {
		return errFrameOf(f.corr, fmt.Errorf("%w: node %s serves no calls", ErrNoService, n.cfg.Name))
	}
	n.mu.Lock()
	m := n.members[src]
	member := m != nil && !m.lost && src != n.cfg.Name
	n.mu.Unlock()
	if !member {
		n.logOnce("call-"+src, "cluster: refused a call of %s from %q: not an up member of the cluster", f.topic, src)
		return errFrameOf(f.corr, fmt.Errorf("%w: the caller's node %q is not an up member", bus.ErrDenied, src))
	}
	// A call from the other node's instance itself (orbital call, an HTTP route: pid 0) is
	// the member's own, as it is on its node; a process's gets its proxy.
	var pid bus.PID
	if f.from != 0 {
		var err error
		if pid, err = n.procProxy(src, f.from, f.module); err != nil {
			return errFrameOf(f.corr, err)
		}
	}
	regions, err := n.regionsFor(pid, f)
	if err != nil {
		return errFrameOf(f.corr, err)
	}
	service, method := f.topic, ""
	for i := 0; i < len(f.topic); i++ {
		if f.topic[i] == '.' {
			service, method = f.topic[:i], f.topic[i+1:]
			break
		}
	}
	ctx, cancel := context.WithTimeout(n.ctx, time.Duration(f.to)*time.Millisecond+time.Second)
	defer cancel()
	r, err := h(ctx, Call{From: pid, Module: f.module, Service: service, Method: method, Payload: f.payload, Regions: regions,
		Timeout: time.Duration(f.to) * time.Millisecond})
	if err != nil {
		return errFrameOf(f.corr, err)
	}
	rf, err := n.frameOf(pid, r)
	if err != nil {
		return errFrameOf(f.corr, err)
	}
	rf.op, rf.kind, rf.to = opReply, uint32(bus.KindReply), r.Flags
	return rf
}
