package bus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// pending is one request waiting for its reply.
type pending struct {
	from    PID
	to      []PID       // who may answer
	claimed atomic.Bool // set by the one reply that wins, or by the requester giving up
	done    atomic.Int64
	reply   Message
	err     error         // instead of a reply: every recipient exited
	wake    chan struct{} // capacity 1
	// cb, when set (RequestLocalFunc), gets the outcome instead of a waiting requester, on
	// the goroutine that completes the request; timer ends it at its timeout.
	cb    func(Message, error)
	timer atomic.Pointer[time.Timer]
	// remote: every recipient is a remote endpoint. The requester then parks at once: the
	// reply is a network round trip away, and a spinning requester holds a core the network
	// path needs.
	remote bool
	call   bool // a call (Bus.Call): to0 is its one recipient
	to0    PID
}

// complete ends p, which its caller claimed, with reply or err.
func (p *pending) complete(reply Message, err error) {
	if p.cb != nil {
		if t := p.timer.Load(); t != nil {
			t.Stop()
		}
		p.cb(reply, err)
		return
	}
	p.reply, p.err = reply, err
	p.done.Store(Now() | 1)
	p.wake <- struct{}{}
}

// pendingTable holds the requests in flight by correlation id.
type pendingTable struct {
	mu   sync.Mutex
	m    map[uint64]*pending
	next atomic.Uint64
}

func (t *pendingTable) init() { t.m = map[uint64]*pending{} }

func (t *pendingTable) take(corr uint64) (*pending, bool) {
	t.mu.Lock()
	p, ok := t.m[corr]
	delete(t.m, corr)
	t.mu.Unlock()
	return p, ok
}

// dropPID forgets requests made by pid (it is detaching; its Request returns ErrClosed via its
// inbox) and fails, with ErrNotFound, requests whose every recipient was pid: nobody is left to
// answer them.
func (t *pendingTable) dropPID(pid PID) {
	var orphans []*pending
	t.mu.Lock()
	for k, p := range t.m {
		if p.from == pid {
			delete(t.m, k)
			continue
		}
		kept := p.to[:0]
		for _, to := range p.to {
			if to != pid {
				kept = append(kept, to)
			}
		}
		p.to = kept
		if len(kept) == 0 && p.claimed.CompareAndSwap(false, true) {
			delete(t.m, k)
			orphans = append(orphans, p)
		}
	}
	t.mu.Unlock()
	for _, p := range orphans {
		if p.call {
			p.complete(Message{}, fmt.Errorf("%w: %v ended", ErrEnded, p.to0))
			continue
		}
		p.complete(Message{}, fmt.Errorf("%w: every process the request went to exited without replying", ErrNotFound))
	}
}

// Request sends m (from m.From, on m.Topic) as a request to every subscriber of the topic and
// waits for the first reply: until ctx ends, or at most timeout when timeout > 0 (ErrTimeout).
// Replies go only to the requester; later replies are refused with ErrNotFound.
func (b *Bus) Request(ctx context.Context, m Message, timeout time.Duration) (Message, error) {
	return b.request(ctx, m, timeout, false)
}

func (b *Bus) request(ctx context.Context, m Message, timeout time.Duration, local bool) (Message, error) {
	start := time.Now()
	p, err := b.startRequest(ctx, &m, timeout, local, nil)
	if err != nil {
		return Message{}, err
	}
	return b.awaitReply(ctx, m, p, timeout, start)
}

// startRequest routes and delivers request m (its Corr set here) and registers its pending
// entry, completed through cb when cb is set.
func (b *Bus) startRequest(ctx context.Context, mp *Message, timeout time.Duration, local bool, cb func(Message, error)) (*pending, error) {
	m := *mp
	m.Kind = KindRequest
	if err := ValidTopic(m.Topic); err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	m.Topic = Canonical(m.Topic)
	if err := b.validate(&m); err != nil {
		return nil, fmt.Errorf("request on %q: %w", m.Topic, err)
	}
	if err := b.check(OpRequest, m.From, m.Topic); err != nil {
		return nil, err
	}
	subs := routes(b.subs.match(m.Topic), local, true)
	if len(subs) == 0 {
		b.unrouted.Add(1)
		return nil, fmt.Errorf("request on %q: %w: no subscriber", m.Topic, ErrNotFound)
	}
	corr := b.reqs.next.Add(1)
	m.Corr = corr
	mp.Corr, mp.Topic = corr, m.Topic
	p := &pending{from: m.From, to: make([]PID, 0, len(subs)), wake: make(chan struct{}, 1), cb: cb}
	p.remote = true
	for _, s := range subs {
		p.to = append(p.to, s.pid)
		p.remote = p.remote && s.inbox.sink != nil
	}
	b.reqs.mu.Lock()
	b.reqs.m[corr] = p
	b.reqs.mu.Unlock()
	b.requests.Add(1)

	delivered := 0
	var first error
	var dctx context.Context
	var got []PID
	missed := false
	for _, sub := range subs {
		err := b.deliver(ctx, sub.inbox, m, uint64(sub.id), false, false)
		if errors.Is(err, ErrFull) { // wait for room, within the request's timeout
			if dctx == nil {
				dctx = ctx
				if timeout > 0 {
					var cancel context.CancelFunc
					dctx, cancel = context.WithTimeout(ctx, timeout)
					defer cancel()
				}
			}
			err = b.deliver(dctx, sub.inbox, m, uint64(sub.id), false, true)
			if err == ErrFull {
				err = sub.inbox.fullErr()
			}
		}
		if err != nil {
			if first == nil {
				first = err
			}
			missed = true
			continue
		}
		delivered++
		got = append(got, sub.pid)
	}
	if delivered == 0 {
		b.reqs.take(corr)
		return nil, fmt.Errorf("request on %q: %w", m.Topic, first)
	}
	if missed { // only those who got it may answer (and count for dropPID)
		b.reqs.mu.Lock()
		kept := p.to[:0]
		for _, to := range p.to {
			if slices.Contains(got, to) {
				kept = append(kept, to)
			}
		}
		p.to = kept
		b.reqs.mu.Unlock()
	}
	b.finishTransfers(m.From, m.Regions)
	if cb != nil && timeout > 0 {
		t := time.AfterFunc(timeout, func() {
			if p.claimed.CompareAndSwap(false, true) {
				b.reqs.take(corr)
				cb(Message{}, fmt.Errorf("request on %q: %w: no reply within %v", m.Topic, ErrTimeout, timeout))
			}
		})
		p.timer.Store(t)
	}
	return p, nil
}

// awaitReply waits for the outcome of request m (started at start): a reply, the end of
// every recipient, ctx, the requester's own end, or the timeout.
func (b *Bus) awaitReply(ctx context.Context, m Message, p *pending, timeout time.Duration, start time.Time) (Message, error) {
	corr := m.Corr
	var done <-chan struct{}
	if in, ok := b.Inbox(m.From); ok {
		done = in.done
	}

	spin := &b.spin // a requester without an inbox (host code) shares the bus's
	if in, ok := b.Inbox(m.From); ok {
		spin = &in.reqSpin
	}
	var expired <-chan time.Time
	waitStart := Now()
	for {
		if p.done.Load() != 0 || !p.remote && spin.spin(&p.done, b.cfg.Spin) {
			return p.result(m.Topic)
		}
		if timeout > 0 && expired == nil {
			left := timeout - time.Since(start)
			if left < 0 {
				left = 0
			}
			timer := time.NewTimer(left)
			defer timer.Stop()
			expired = timer.C
		}
		select {
		case <-p.wake:
			if !p.remote {
				spin.parked(waitStart, p.done.Load(), b.cfg.Spin)
			}
			continue
		case <-done:
		case <-ctx.Done():
		case <-expired:
		}
		b.reqs.take(corr)
		if !p.claimed.CompareAndSwap(false, true) {
			// A reply claimed the request first; it is being stored now.
			<-p.wake
			return p.result(m.Topic)
		}
		switch {
		case ctx.Err() != nil:
			return Message{}, fmt.Errorf("%s: %w", p.what(m.Topic), ctx.Err())
		case isDone(done):
			return Message{}, fmt.Errorf("%s: %w", p.what(m.Topic), ErrClosed)
		default:
			return Message{}, fmt.Errorf("%s: %w: no reply within %v", p.what(m.Topic), ErrTimeout, timeout)
		}
	}
}

// result is what Request returns once p is done.
func (p *pending) result(topic string) (Message, error) {
	if p.err != nil {
		return Message{}, fmt.Errorf("%s: %w", p.what(topic), p.err)
	}
	return p.reply, nil
}

// what names the request or call in errors.
func (p *pending) what(topic string) string {
	if p.call {
		return fmt.Sprintf("call %q of %v", topic, p.to0)
	}
	return fmt.Sprintf("request on %q", topic)
}

func isDone(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// Reply answers request corr: m.From is the replier (one of the processes the request went to),
// m.Payload and m.Regions the answer, delivered to the requester only.
func (b *Bus) Reply(m Message) error {
	if err := b.validate(&m); err != nil {
		return fmt.Errorf("reply to request %d: %w", m.Corr, err)
	}
	b.reqs.mu.Lock()
	p, ok := b.reqs.m[m.Corr]
	allowed := false
	if ok {
		for _, pid := range p.to {
			if pid == m.From {
				allowed = true
				break
			}
		}
	}
	if !allowed || p.claimed.Load() {
		b.reqs.mu.Unlock()
		b.lateReply.Add(1)
		return fmt.Errorf("reply to request %d: %w: no such request pending for %v (answered, timed out, or not sent to it)", m.Corr, ErrNotFound, m.From)
	}
	if b.cfg.Check != nil {
		if err := b.check(OpReply, m.From, p.from.String()); err != nil {
			b.reqs.mu.Unlock()
			return err
		}
	}
	if !p.claimed.CompareAndSwap(false, true) { // the requester gave up a moment ago
		b.reqs.mu.Unlock()
		b.lateReply.Add(1)
		return fmt.Errorf("reply to request %d: %w: the requester stopped waiting", m.Corr, ErrNotFound)
	}
	delete(b.reqs.m, m.Corr)
	b.reqs.mu.Unlock()

	m.Kind, m.To, m.Sent = KindReply, p.from, Now()
	if len(m.Regions) > 0 {
		from, err1 := b.inboxFor("reply", m.From)
		to, err2 := b.inboxFor("reply", p.from)
		var granted []Attachment
		err := err1
		if err == nil {
			err = err2
		}
		if err == nil {
			granted, err = b.grant(from, to, m.Regions)
		}
		if err != nil {
			// The request is answered (with an empty reply and the error in the log of the
			// replier); the requester must not wait for a reply that cannot come.
			p.complete(Message{Kind: KindReply, From: m.From, To: p.from, Corr: m.Corr, Sent: m.Sent}, nil)
			return fmt.Errorf("reply to request %d: %w", m.Corr, err)
		}
		orig := m.Regions
		m.Regions = granted
		defer b.finishTransfers(m.From, orig)
	}
	p.complete(m, nil)
	b.replies.Add(1)
	if in, ok := b.Inbox(m.From); ok {
		in.sent.Add(1)
	}
	return nil
}
