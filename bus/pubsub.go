package bus

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
)

var subIDs atomic.Uint32

// Subscribe adds pattern (see ValidPattern) for pid with mode and returns the subscription id.
func (b *Bus) Subscribe(pid PID, pattern string, mode Mode) (uint32, error) {
	if mode != Reliable && mode != Lossy {
		return 0, fmt.Errorf("subscribe %q: %w: mode %d (0 reliable, 1 lossy)", pattern, ErrInvalid, mode)
	}
	if err := ValidPattern(pattern); err != nil {
		return 0, fmt.Errorf("subscribe: %w", err)
	}
	pattern = Canonical(pattern)
	if err := b.check(OpSubscribe, pid, pattern); err != nil {
		return 0, err
	}
	in, err := b.inboxFor("subscribe", pid)
	if err != nil {
		return 0, err
	}
	id := subIDs.Add(1) & (1<<31 - 1)
	if id == 0 {
		id = subIDs.Add(1)
	}
	if err := b.subs.insert(&subscription{id: id, pid: pid, pattern: pattern, mode: mode, inbox: in}, in.lim.MaxSubs); err != nil {
		return 0, fmt.Errorf("subscribe %q: %w", pattern, err)
	}
	if in.isClosed() { // raced with Detach: do not leave the subscription behind
		b.subs.removePID(pid)
		return 0, fmt.Errorf("subscribe: %w", ErrClosed)
	}
	return id, nil
}

// Unsubscribe removes pid's subscription id.
func (b *Bus) Unsubscribe(pid PID, id uint32) error {
	sub, ok := b.subs.get(id, pid)
	if !ok {
		return fmt.Errorf("unsubscribe %d: %w: %v has no such subscription", id, ErrNotFound, pid)
	}
	b.subs.remove(sub)
	return nil
}

// SetTopicMode declares the mode of the topics pattern matches. On a Lossy topic every
// subscription is lossy whatever mode it asked for, and a publish that reaches nobody is counted
// in Stats.Dropped and succeeds, where on a reliable topic it is ErrNotFound. Setting Reliable
// removes an earlier Lossy declaration of the same pattern. Topics are reliable by default.
func (b *Bus) SetTopicMode(pattern string, mode Mode) error {
	if err := ValidPattern(pattern); err != nil {
		return fmt.Errorf("topic mode: %w", err)
	}
	pattern = Canonical(pattern)
	b.modes.mu.RLock()
	var old []*subscription
	for _, s := range b.modes.byID {
		if s.pattern == pattern {
			old = append(old, s)
		}
	}
	b.modes.mu.RUnlock()
	for _, s := range old {
		b.modes.remove(s)
	}
	switch mode {
	case Reliable:
	case Lossy:
		b.modes.insert(&subscription{id: subIDs.Add(1), pattern: pattern, mode: Lossy}, 0) // the embedder's: no cap
	default:
		return fmt.Errorf("topic mode %q: %w: mode %d (0 reliable, 1 lossy)", pattern, ErrInvalid, mode)
	}
	return nil
}

// TopicMode is the mode of topic: Lossy if a SetTopicMode pattern matches it.
func (b *Bus) TopicMode(topic string) Mode {
	if len(b.modes.match(topic)) > 0 {
		return Lossy
	}
	return Reliable
}

// Subscribers returns how many subscriptions match topic.
func (b *Bus) Subscribers(topic string) int { return len(b.subs.match(topic)) }

// Publish delivers m (from m.From, on m.Topic) to every matching subscription. Lossy subscribers
// never make it wait; for reliable ones it waits for room until ctx ends, or for
// Config.SendTimeout when ctx has no deadline. A topic with no subscriber is ErrNotFound (and
// counted as unrouted), except on a lossy topic (SetTopicMode), where the message is counted as
// dropped and Publish succeeds. When some reliable subscriber could not take the message, the
// others still got it and the error says how many failed. Transferred regions leave the
// sender when at least one subscriber got the message (or it was dropped on a lossy topic).
func (b *Bus) Publish(ctx context.Context, m Message) error { return b.publish(ctx, m, false, nil) }

// PublishWaiting is Publish that calls waiting, on the caller's goroutine, just before it
// first waits for room in a full reliable subscriber's inbox: a caller that accounts for
// blocked time (the kernel's host call) pays for that only when the publish waits.
func (b *Bus) PublishWaiting(ctx context.Context, m Message, waiting func()) error {
	return b.publish(ctx, m, false, waiting)
}

func (b *Bus) publish(ctx context.Context, m Message, local bool, waiting func()) error {
	m.Kind = KindPublish
	if err := ValidTopic(m.Topic); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	m.Topic = Canonical(m.Topic)
	if err := b.validate(&m); err != nil {
		return fmt.Errorf("publish on %q: %w", m.Topic, err)
	}
	if err := b.check(OpPublish, m.From, m.Topic); err != nil {
		return err
	}
	lossyTopic := b.TopicMode(m.Topic) == Lossy
	subs := routes(b.subs.match(m.Topic), local, false)
	if len(subs) == 0 {
		if lossyTopic { // dropped like any lossy message; transferred regions go with it
			b.dropped.Add(1)
			b.finishTransfers(m.From, m.Regions)
			return nil
		}
		b.unrouted.Add(1)
		return fmt.Errorf("publish on %q: %w: no subscriber", m.Topic, ErrNotFound)
	}
	// First pass: nobody waits. Second pass, only if some reliable subscriber was full: wait
	// for room within the deadline (so a publish that finds room costs no timer).
	var first error
	failed, gone := 0, 0
	var full []*subscription
	for _, sub := range subs {
		err := b.deliver(ctx, sub.inbox, m, uint64(sub.id), lossyTopic || sub.mode == Lossy, false)
		switch {
		case err == nil || errors.Is(err, errDropped):
		case errors.Is(err, errGone):
			gone++
		case errors.Is(err, ErrFull):
			full = append(full, sub)
		default:
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if len(full) > 0 {
		if waiting != nil {
			waiting()
		}
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, b.cfg.SendTimeout)
			defer cancel()
		}
		for _, sub := range full {
			err := b.deliver(ctx, sub.inbox, m, uint64(sub.id), false, true)
			if err == ErrFull {
				err = sub.inbox.fullErr()
			}
			if errors.Is(err, errGone) {
				gone++
			} else if err != nil {
				failed++
				if first == nil {
					first = err
				}
			}
		}
	}
	if gone == len(subs) {
		if lossyTopic {
			b.dropped.Add(1)
			b.finishTransfers(m.From, m.Regions)
			return nil
		}
		b.unrouted.Add(1)
		return fmt.Errorf("publish on %q: %w: no subscriber (the last ones are exiting)", m.Topic, ErrNotFound)
	}
	if failed+gone == len(subs) {
		return fmt.Errorf("publish on %q: %w", m.Topic, first)
	}
	b.finishTransfers(m.From, m.Regions)
	if failed > 0 {
		return fmt.Errorf("publish on %q: %d of %d subscribers missed it: %w", m.Topic, failed, len(subs), first)
	}
	return nil
}
