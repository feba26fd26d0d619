package bus

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// Remote endpoints: how the bus reaches other nodes (package cluster) without knowing about
// them. An endpoint attached with AttachRemote has a pid, a region handle table and
// subscriptions like any other, but nothing is ever queued in it: every message the bus would
// put in its inbox (a publish that matched one of its patterns, a request, a direct send) is
// handed to its Sink instead, on the sender's goroutine, after the sender's policy check.
// A node proxy subscribes to the patterns another node's processes hold, so a local publish
// reaches it through the same trie and cache as any subscriber; a process proxy stands for
// one remote process, so a direct send to it goes over the network.
//
// Messages that came from another node are delivered with PublishLocal, RequestLocal or
// Send: the first two never hand anything back to a remote endpoint, so nothing loops.

// Sink delivers m to the node a remote endpoint stands for. m.Regions are handles in the
// endpoint's own table, granted with the rights the sender gave: the sink reads what it needs
// and must release every one of them (RegionRelease), whether it succeeds or not. It must not
// block past ctx. An error is the sender's (wrap a bus sentinel).
type Sink func(ctx context.Context, m Message) error

// AttachRemote creates pid as a remote endpoint whose messages go to sink (see above).
func (b *Bus) AttachRemote(pid PID, lim InboxLimits, sink Sink) (*Inbox, error) {
	if sink == nil {
		return nil, fmt.Errorf("attach %v: %w: nil sink", pid, ErrInvalid)
	}
	in := newInbox(b, pid, lim.withDefaults(b.cfg.Inbox))
	in.sink = sink
	return in, b.attach(pid, in)
}

// Remote reports whether pid is a remote endpoint.
func (b *Bus) Remote(pid PID) bool {
	in, ok := b.Inbox(pid)
	return ok && in.sink != nil
}

// deliverRemote hands m to a remote endpoint's sink: regions are granted into the endpoint's
// table first (the sink releases them), so rights and limits are checked as for any receiver.
func (b *Bus) deliverRemote(ctx context.Context, to *Inbox, m Message, sub uint64) error {
	if err := b.stamp(to, &m, sub); err != nil {
		return err
	}
	if err := to.sink(ctx, m); err != nil {
		return err
	}
	to.msgsIn.Add(1)
	if sender, ok := b.Inbox(m.From); ok && m.From != 0 {
		sender.sent.Add(1)
	}
	return nil
}

// PublishLocal is Publish for a message that came from another node: it reaches the local
// subscribers only, never a remote endpoint.
func (b *Bus) PublishLocal(ctx context.Context, m Message) error {
	return b.publish(ctx, m, true, nil)
}

// RequestLocal is Request for a request that came from another node: local subscribers only.
func (b *Bus) RequestLocal(ctx context.Context, m Message, timeout time.Duration) (Message, error) {
	return b.request(ctx, m, timeout, true)
}

// Fail ends request corr, which went to the remote endpoint from, with err instead of a reply
// (the other node found nobody to answer, or refused it). Like Reply, only an endpoint the
// request went to may, and only once.
func (b *Bus) Fail(from PID, corr uint64, err error) error {
	b.reqs.mu.Lock()
	p, ok := b.reqs.m[corr]
	if !ok || !slices.Contains(p.to, from) || !p.claimed.CompareAndSwap(false, true) {
		b.reqs.mu.Unlock()
		b.lateReply.Add(1)
		return fmt.Errorf("fail request %d: %w: no such request pending for %v", corr, ErrNotFound, from)
	}
	delete(b.reqs.m, corr)
	b.reqs.mu.Unlock()
	p.err = err
	p.done.Store(Now() | 1)
	p.wake <- struct{}{}
	return nil
}

// routes picks, from subs (a match result), the subscriptions one publish or request goes
// to: remote endpoints once each (a node proxy holding two matching patterns gets one copy:
// the other node matches again), none when local, and for a request none when a local
// subscriber matched (local instances first). The result is subs itself when nothing is
// skipped, so the common case allocates nothing.
func routes(subs []*subscription, local, request bool) []*subscription {
	skip := false
	hasLocal := false
	for i, s := range subs {
		if s.inbox.sink == nil {
			hasLocal = true
			continue
		}
		if local || slices.ContainsFunc(subs[:i], func(o *subscription) bool { return o.inbox == s.inbox }) {
			skip = true
		}
	}
	if request && hasLocal && !local {
		for _, s := range subs {
			if s.inbox.sink != nil {
				skip = true
			}
		}
	}
	if !skip {
		return subs
	}
	out := make([]*subscription, 0, len(subs))
	for _, s := range subs {
		if s.inbox.sink == nil {
			out = append(out, s)
			continue
		}
		if local || (request && hasLocal) || slices.ContainsFunc(out, func(o *subscription) bool { return o.inbox == s.inbox }) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// interest counts the local subscriptions per pattern, so the cluster can tell other nodes
// which topics to send here. Remote endpoints' subscriptions do not count.
type interest struct {
	mu      sync.Mutex
	count   map[string]int
	changed chan struct{} // capacity 1: signalled when a pattern appears or goes
}

func newInterest() *interest {
	return &interest{count: map[string]int{}, changed: make(chan struct{}, 1)}
}

// add counts sub in (d 1) or out (d -1); nil (a sublist that does not track) does nothing.
func (t *interest) add(sub *subscription, d int) {
	if t == nil || sub.inbox == nil || sub.inbox.sink != nil {
		return
	}
	t.mu.Lock()
	n := t.count[sub.pattern] + d
	if n <= 0 {
		delete(t.count, sub.pattern)
	} else {
		t.count[sub.pattern] = n
	}
	flip := (d > 0 && n == 1) || (d < 0 && n <= 0)
	t.mu.Unlock()
	if flip {
		select {
		case t.changed <- struct{}{}:
		default:
		}
	}
}

// Patterns returns, sorted, the distinct patterns local processes (not remote endpoints)
// subscribe to.
func (b *Bus) Patterns() []string {
	t := b.subs.interest
	t.mu.Lock()
	out := make([]string, 0, len(t.count))
	for p := range t.count {
		out = append(out, p)
	}
	t.mu.Unlock()
	sort.Strings(out)
	return out
}

// InterestChanged is signalled (capacity 1, never blocks the bus) when a pattern appears in
// or goes from Patterns.
func (b *Bus) InterestChanged() <-chan struct{} { return b.subs.interest.changed }

// RequestLocalFunc is RequestLocal without a waiting goroutine: it delivers the request and
// returns; cb gets the reply (or why there is none: every recipient exited, ErrTimeout after
// timeout) exactly once, on the goroutine that completes it (the replier's Reply). A request
// that cannot be delivered is its error, and cb is not called. cb must not block: it runs on
// the replier's thread.
func (b *Bus) RequestLocalFunc(ctx context.Context, m Message, timeout time.Duration, cb func(Message, error)) error {
	_, err := b.startRequest(ctx, &m, timeout, true, cb)
	return err
}
