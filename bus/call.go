package bus

import (
	"context"
	"fmt"
	"time"
)

// Call delivers m to the one process m.To as a call (KindCall; m.Topic is the method the
// receiver sees, which need not be a topic) and waits for its reply, as Request does: until
// ctx ends, or at most timeout when timeout > 0 (ErrTimeout). The receiver answers with Reply
// (m.Corr), as it answers a request.
//
// A call never waits for room: when the receiver's inbox is full it is ErrFull at once, so a
// storm of calls is refused instead of queued without bound. When the receiver ends before it
// replies, the caller gets ErrEnded at once; ErrNotFound when it had already gone.
//
// The policy hook is not asked: a call is addressed by service name, which the caller (the
// kernel's call host function) checks against the caller's namespace before it picks m.To.
// m.From may be a process or an endpoint of the embedder's (0: the host); its regions are
// granted to the receiver as Send grants them.
func (b *Bus) Call(ctx context.Context, m Message, timeout time.Duration) (Message, error) {
	m.Kind = KindCall
	if err := b.validate(&m); err != nil {
		return Message{}, fmt.Errorf("call %q of %v: %w", m.Topic, m.To, err)
	}
	to, ok := b.Inbox(m.To)
	if !ok {
		return Message{}, fmt.Errorf("call %q of %v: %w: no such process", m.Topic, m.To, ErrNotFound)
	}
	start := time.Now()
	corr := b.reqs.next.Add(1)
	m.Corr = corr
	p := &pending{from: m.From, to: []PID{m.To}, to0: m.To, call: true, remote: to.sink != nil, wake: make(chan struct{}, 1)}
	b.reqs.mu.Lock()
	b.reqs.m[corr] = p
	b.reqs.mu.Unlock()
	b.requests.Add(1)
	if err := b.deliver(ctx, to, m, 0, false, false); err != nil {
		b.reqs.take(corr)
		if err == ErrFull {
			err = to.fullErr()
		}
		return Message{}, fmt.Errorf("call %q of %v: %w", m.Topic, m.To, err)
	}
	b.finishTransfers(m.From, m.Regions)
	if _, ok := b.Inbox(m.To); !ok {
		// The receiver is detaching: its Detach may have dropped its pending calls before this
		// one was registered, and then nobody would end the wait.
		if _, mine := b.reqs.take(corr); mine && p.claimed.CompareAndSwap(false, true) {
			return Message{}, fmt.Errorf("call %q of %v: %w: %v ended", m.Topic, m.To, ErrEnded, m.To)
		}
	}
	return b.awaitReply(ctx, m, p, timeout, start)
}
