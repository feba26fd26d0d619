package policies

import "sync/atomic"

// decisionCache remembers a namespace's last few decisions, so a process that publishes on the
// same topics over and over (the common case) pays a string comparison instead of a pattern
// match per message. A Namespace is immutable, so its decisions never go stale: a policy reload
// makes a new Namespace with an empty cache.
type decisionCache struct {
	last  atomic.Pointer[decision] // the most recent hit, checked first
	slots [cacheSlots]atomic.Pointer[decision]
	next  atomic.Uint32
}

const cacheSlots = 4

type decision struct {
	op     Op
	ok     bool
	gen    uint64 // the store generation the namespace was resolved at (Live's hot path)
	object string
}

// allowCached is allow through the cache.
func (n *Namespace) allowCached(op Op, object string) bool {
	if d := n.decide(op, object); d != nil {
		return d.ok
	}
	return n.allow(op, object)
}

// decide returns the cached decision for (op, object), making it on a miss; nil when the
// namespace has no cache.
func (n *Namespace) decide(op Op, object string) *decision {
	c := n.cache
	if c == nil {
		return nil
	}
	if d := c.last.Load(); d != nil && d.object == object && d.op == op {
		return d
	}
	for i := range c.slots {
		if d := c.slots[i].Load(); d != nil && d.object == object && d.op == op {
			c.last.Store(d)
			return d
		}
	}
	// Go strings are immutable, so the caller's string can be kept as it is; a caller that
	// checks the same string again then hits on pointer equality.
	d := &decision{op: op, object: object, ok: n.allow(op, object), gen: n.gen}
	c.slots[c.next.Add(1)%cacheSlots].Store(d)
	c.last.Store(d)
	return d
}
