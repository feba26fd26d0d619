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
	object string
	ok     bool
}

// allowCached is allow through the cache.
func (n *Namespace) allowCached(op Op, object string) bool {
	c := n.cache
	if c == nil {
		return n.allow(op, object)
	}
	if d := c.last.Load(); d != nil && d.object == object && d.op == op {
		return d.ok
	}
	return n.allowSlow(c, op, object)
}

func (n *Namespace) allowSlow(c *decisionCache, op Op, object string) bool {
	for i := range c.slots {
		if d := c.slots[i].Load(); d != nil && d.object == object && d.op == op {
			c.last.Store(d)
			return d.ok
		}
	}
	ok := n.allow(op, object)
	// Go strings are immutable, so the caller's string can be kept as it is; a caller that
	// checks the same string again then hits on pointer equality.
	d := &decision{op: op, object: object, ok: ok}
	c.slots[c.next.Add(1)%cacheSlots].Store(d)
	c.last.Store(d)
	return ok
}
