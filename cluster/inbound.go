package cluster

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/orbital/orbital/bus"
)

// What other nodes send this one. A frame is decoded strictly and must come from a live
// member; its sender gets a process proxy bound to this node's policy for the sender's
// module, so the bus's policy hook checks it here too before delivery (the sender's own node
// checked it before it left).

// srcOf is the last token of a subject: the sending node.
func srcOf(subj string) string {
	return subj[strings.LastIndexByte(subj, '.')+1:]
}

// inbound decodes msg and checks its sender; ok false means refused (logged, counted).
func (n *Node) inbound(msg *nats.Msg) (frame, string, bool) {
	src := srcOf(msg.Subject)
	f, err := decodeFrame(msg.Data)
	if err != nil {
		n.bad.Add(1)
		n.logOnce("frame-"+src, "cluster: refused a message from node %s: %v", src, err)
		n.answer(msg, errFrameOf(0, fmt.Errorf("%w: %v", bus.ErrInvalid, err)))
		return f, src, false
	}
	if !n.member(src) {
		n.answer(msg, errFrameOf(f.corr, fmt.Errorf("%w: %s is not a member", bus.ErrDenied, src)))
		return f, src, false
	}
	n.received.Add(1)
	return f, src, true
}

// member reports (and logs when not) whether src is an up member, and marks it seen.
func (n *Node) member(src string) bool {
	n.mu.Lock()
	m := n.members[src]
	ok := m != nil && !m.lost && src != n.cfg.Name
	if ok {
		m.seen = time.Now() // its traffic shows it answers: a flood must not starve it into a loss
	}
	n.mu.Unlock()
	if !ok {
		n.bad.Add(1)
		n.logOnce("stranger-"+src, "cluster: refused a message from %q, which is not an up member of the cluster", src)
	}
	return ok
}

// answer replies on msg's reply subject, if it has one.
func (n *Node) answer(msg *nats.Msg, f frame) {
	if msg.Reply != "" {
		n.nc.Publish(msg.Reply, f.encode())
	}
}

// regionsFor copies f's regions into handles of pid, given with transfer.
func (n *Node) regionsFor(pid bus.PID, f frame) ([]bus.Attachment, error) {
	var out []bus.Attachment
	for _, r := range f.regions {
		h, err := n.b.RegionGive(pid, r.data)
		if err != nil {
			n.release(pid, out)
			return nil, err
		}
		out = append(out, bus.Attachment{Handle: h, Rights: bus.Rights(r.rights)&(bus.RightRead|bus.RightWrite) | bus.FlagTransfer})
	}
	return out, nil
}

func (n *Node) release(pid bus.PID, atts []bus.Attachment) {
	for _, a := range atts {
		n.b.RegionRelease(pid, a.Handle)
	}
}

// onMessage delivers a publish, request or direct send from another node.
func (n *Node) onMessage(msg *nats.Msg) {
	if isBatch(msg.Data) {
		n.onBatch(msg)
		return
	}
	f, src, ok := n.inbound(msg)
	if !ok {
		return
	}
	n.handle(msg, &f, src, nil)
}

// onBatch handles a batch of publishes and requests (outbox.go), each as onMessage would. Its
// frames are decoded into n.batch, which only onBatch uses: onMessage is the handler of one
// NATS subscription, called on one goroutine, one message at a time.
func (n *Node) onBatch(msg *nats.Msg) {
	src := srcOf(msg.Subject)
	fs, err := splitBatch(msg.Data, n.batch)
	n.batch = fs
	defer clear(fs) // they alias msg.Data: keep nothing of it past its messages
	if err != nil {
		n.bad.Add(1)
		n.logOnce("frame-"+src, "cluster: refused a batch from node %s: %v", src, err)
		return
	}
	if !n.member(src) {
		return
	}
	n.received.Add(uint64(len(fs)))
	var last lastProxy
	for i := range fs {
		n.handle(msg, &fs[i], src, &last)
	}
}

// handle delivers f, a message frame from member src, on the local bus; last is the sender
// of the batch's frame before (nil: not a batch).
func (n *Node) handle(msg *nats.Msg, f *frame, src string, last *lastProxy) {
	if f.op != opMessage {
		n.bad.Add(1)
		n.logOnce("op-"+src, "cluster: refused a frame of op %d from node %s on its message subject", f.op, src)
		return
	}
	pid, err := n.proxyOf(src, f, last)
	if err != nil {
		n.answer(msg, errFrameOf(f.corr, err))
		return
	}
	regions, err := n.regionsFor(pid, *f)
	if err != nil {
		n.answer(msg, errFrameOf(f.corr, err))
		return
	}
	m := bus.Message{Kind: bus.Kind(f.kind), From: pid, To: bus.PID(f.to), Topic: f.topic, Payload: f.payload, Regions: regions}
	switch {
	case m.Kind == bus.KindPublish:
		err = n.b.PublishLocal(n.ctx, m) // a full reliable subscriber is waited for the bus's SendTimeout
		if err != nil {
			n.release(pid, regions)
			n.denyLog(src, *f, err)
		}
	case m.Kind == bus.KindRequest:
		n.serveRequest(src, pid, f.corr, m)
	case m.Kind == bus.KindDirect || m.Kind >= 32:
		ctx, cancel := context.WithTimeout(n.ctx, receiveWait(msg))
		err = n.b.Send(ctx, m)
		cancel()
		if err != nil {
			n.release(pid, regions)
			n.answer(msg, errFrameOf(f.corr, err))
			return
		}
		n.answer(msg, frame{op: opAck, corr: f.corr})
	default:
		n.release(pid, regions)
		n.bad.Add(1)
		n.logOnce("kind-"+src, "cluster: refused a message of kind %d from node %s", f.kind, src)
		n.answer(msg, errFrameOf(f.corr, fmt.Errorf("%w: kind %d", bus.ErrInvalid, f.kind)))
	}
}

func (n *Node) denyLog(src string, f frame, err error) {
	if errors.Is(err, bus.ErrTooBig) || errors.Is(err, bus.ErrInvalid) || errors.Is(err, bus.ErrBadTopic) {
		n.bad.Add(1)
		n.logOnce("big-"+src, "cluster: refused a message from node %s: %v", src, err)
	}
	if isDenied(err) {
		n.denied.Add(1)
		n.logOnce("deny-"+src+f.module+f.topic, "cluster: %s from %s on node %s refused here: %v", f.topic, f.module, src, err)
	}
}

// serveRequest asks the local subscribers on behalf of a remote requester; the answer (or
// why there is none) goes back to its node from the replier's own thread, with no goroutine
// of ours waiting in between.
func (n *Node) serveRequest(src string, pid bus.PID, corr uint64, m bus.Message) {
	subj := fmt.Sprintf(subjReply, src, n.cfg.Name)
	fail := func(err error) {
		n.nc.Publish(subj, errFrameOf(corr, err).encode())
	}
	err := n.b.RequestLocalFunc(n.ctx, m, requestTimeout, func(r bus.Message, err error) {
		if err != nil {
			fail(err)
			return
		}
		f, err := n.frameOf(pid, r)
		if err != nil {
			fail(err)
			return
		}
		f.op, f.corr, f.kind, f.to = opReply, corr, uint32(bus.KindReply), r.Flags
		if err := n.nc.Publish(subj, f.encode()); err == nil {
			n.sent.Add(1)
		}
		n.yieldAfterReply(r.From)
	})
	if err != nil {
		n.release(pid, m.Regions)
		n.denyLog(src, frame{module: n.proxyModule(pid), topic: m.Topic}, err)
		fail(err)
	}
}

// yieldAfterReply lets nats.go's flusher, readied by the reply's Publish on this thread's
// processor, run now rather than when the replier next blocks. A guest replies from its
// locked OS thread and goes back to its code: the flusher waited for that thread's next
// blocking call to hand the processor over (34 µs a reply on average, 23 µs with this;
// docs/design/cluster.md). runtime.Gosched hands it over at once; the guest gets it back a
// wake-up later, off the round trip. A replier with more messages queued keeps its processor (its replies go out
// together when it blocks), so a stream of remote requests does not pay two thread switches
// per reply.
func (n *Node) yieldAfterReply(replier bus.PID) {
	if in, ok := n.b.Inbox(replier); ok && in.Stats().Depth > 0 {
		return
	}
	runtime.Gosched()
}

// proxyModule is the module a proxy stands for.
func (n *Node) proxyModule(pid bus.PID) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if p := n.proxies[pid]; p != nil {
		return p.module
	}
	return ""
}

// onReply completes a local request another node answered.
func (n *Node) onReply(msg *nats.Msg) {
	f, src, ok := n.inbound(msg)
	if !ok {
		return
	}
	n.mu.Lock()
	pid := bus.PID(0)
	if m := n.members[src]; m != nil {
		pid = m.proxy
	}
	n.mu.Unlock()
	if pid == 0 {
		return
	}
	switch f.op {
	case opReply:
		regions, err := n.regionsFor(pid, f)
		if err != nil {
			n.b.Fail(pid, f.corr, err)
			return
		}
		if err := n.b.Reply(bus.Message{From: pid, Corr: f.corr, Payload: f.payload, Regions: regions, Flags: f.to}); err != nil {
			n.release(pid, regions) // the requester gave up
		}
	case opError:
		n.b.Fail(pid, f.corr, wireErr(src, f))
	default:
		n.bad.Add(1)
		n.logOnce("op-"+src, "cluster: refused a frame of op %d from node %s on its reply subject", f.op, src)
	}
}
