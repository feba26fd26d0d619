package policies

import (
	"strings"
	"sync/atomic"
)

// decisionCache remembers a namespace's last few decisions, so a process that publishes on the
// same topics over and over (the common case) pays a string comparison instead of a pattern
// match per message. A Namespace is immutable, so its decisions never go stale: a policy reload
// makes a new Namespace with an empty cache.
type decisionCache struct {
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
	for i := range c.slots {
		if d := c.slots[i].Load(); d != nil && d.op == op && d.object == object {
			return d.ok
		}
	}
	ok := n.allow(op, object)
	// Keep a copy of the object: the caller's string may live in a reused buffer.
	d := &decision{op: op, object: strings.Clone(object), ok: ok}
	c.slots[c.next.Add(1)%cacheSlots].Store(d)
	return ok
}
