package bus

import (
	"context"
	"errors"
	"fmt"
)

// forwardSub marks forwarded entries for lossy eviction: a full inbox evicts the oldest
// forwarded lossy message first, not the process's input events.
const forwardSub = 1 << 40

// Forward delivers m, a message relay received, to the inbox of to as it is: its kind, topic,
// sender and correlation id are kept (Sub is 0: to has no subscription of its own for it), and
// its regions move from relay's handle table to to's (relay's handles are released once it is
// delivered). The policy hook is not
// asked: m passed it on its way to relay, and the forwarder (the instance's topic triggers)
// decides who may have it. Reliable (lossy false) waits for room until ctx ends, then fails
// with ErrFull; lossy never waits: a full inbox evicts its oldest forwarded lossy message, or
// drops m (counted, and not an error), as a lossy subscription does.
func (b *Bus) Forward(ctx context.Context, relay, to PID, m Message, lossy bool) error {
	dst, ok := b.Inbox(to)
	if !ok {
		return fmt.Errorf("forward to %v: %w: no such process", to, ErrNotFound)
	}
	var moved []Attachment
	if len(m.Regions) > 0 {
		src, ok := b.Inbox(relay)
		if !ok {
			return fmt.Errorf("forward from %v: %w: no such process", relay, ErrNotFound)
		}
		moved = make([]Attachment, len(m.Regions))
		for i, a := range m.Regions {
			moved[i] = Attachment{Handle: a.Handle, Rights: a.Rights&rightsMask | FlagTransfer}
		}
		granted, err := b.grant(src, dst, moved)
		if err != nil {
			return fmt.Errorf("forward to %v: %w", to, err)
		}
		m.Regions = granted
	}
	m.To, m.Sent, m.Sub = to, Now(), 0
	err := dst.put(ctx, entry{m: m, size: m.Size(), sub: forwardSub, lossy: lossy}, !lossy)
	if err != nil {
		if len(m.Regions) > 0 {
			b.ungrant(dst, m.Regions)
		}
		switch {
		case errors.Is(err, errDropped):
			b.finishTransfers(relay, moved)
			return nil
		case err == ErrFull:
			return dst.fullErr()
		case errors.Is(err, ErrClosed):
			return fmt.Errorf("forward to %v: %w", to, errGone)
		}
		return err
	}
	b.finishTransfers(relay, moved)
	return nil
}
