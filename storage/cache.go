package storage

import (
	"bytes"
	"sync"
)

// readCache keeps what DB.Read found (or did not find) under a key, so a namespace read again
// and again (a module's settings, a counter it polls) costs a map lookup instead of a bbolt
// read transaction. It is exact, never stale:
//
//   - every write to the file goes through DB.update, which calls beginWrite before its
//     transaction and endWrite after it, whether it commits or not;
//   - while a write is in progress (writing > 0) nothing is served from the cache, and endWrite
//     empties it after the commit;
//   - a read takes gen before its transaction and fills the cache only if gen is unchanged and
//     no write is in progress, so a value read before a write's commit is never kept after it;
//   - while the DB is open the file is its alone (bbolt's exclusive lock on the file, and
//     Store keeps one DB per file), and a closed DB's cache stays off, so a later open of the
//     file (after the idle close, a restore, another Orbital process) starts with no cache.
//
// Values over cacheMaxValue are not kept, and a namespace keeps at most cacheBudget bytes (an
// arbitrary entry is dropped to make room); the cache is emptied when the last user releases
// the namespace, so idle namespaces hold no cache.
type readCache struct {
	mu      sync.RWMutex
	gen     uint64 // bumped when a write begins and when it ends
	writing int    // writes in progress
	closed  bool
	m       map[string]cached
	bytes   int // cost of the entries (cacheCost)
}

type cached struct {
	v     []byte
	found bool
}

const (
	cacheMaxValue = 4 << 10
	cacheBudget   = 256 << 10
)

func cacheCost(key, v int) int { return key + v + 64 } // lengths, plus the map entry's own

// lookup copies key's cached value into dst if it fits, as Read does. hit=false is a miss;
// gen is then what to pass to fill.
func (c *readCache) lookup(key, dst []byte) (n int, found, hit bool, gen uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.writing == 0 && !c.closed {
		if e, ok := c.m[string(key)]; ok {
			if e.found && len(e.v) <= len(dst) {
				copy(dst, e.v)
			}
			return len(e.v), e.found, true, 0
		}
	}
	return 0, false, false, c.gen
}

// fill keeps v (found or not) under key, read by a transaction that began after lookup
// returned gen. v is copied.
func (c *readCache) fill(gen uint64, key, v []byte, found bool) {
	if len(v) > cacheMaxValue {
		return
	}
	cost := cacheCost(len(key), len(v))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.writing > 0 || c.closed {
		return // a write began since: what the transaction saw may be gone
	}
	if _, ok := c.m[string(key)]; ok {
		return
	}
	for k, e := range c.m { // Go's map order: an arbitrary victim
		if c.bytes+cost <= cacheBudget {
			break
		}
		c.bytes -= cacheCost(len(k), len(e.v))
		delete(c.m, k)
	}
	if c.m == nil {
		c.m = map[string]cached{}
	}
	c.m[string(key)] = cached{v: bytes.Clone(v), found: found}
	c.bytes += cost
}

// beginWrite turns the cache off until the matching endWrite.
func (c *readCache) beginWrite() {
	c.mu.Lock()
	c.writing++
	c.gen++
	c.mu.Unlock()
}

// endWrite empties the cache after a write's transaction ended (committed or not).
func (c *readCache) endWrite() {
	c.mu.Lock()
	c.writing--
	c.gen++
	c.m, c.bytes = nil, 0
	c.mu.Unlock()
}

// drop frees the entries (the namespace went idle); what is read later is cached again.
func (c *readCache) drop() {
	c.mu.Lock()
	c.m, c.bytes = nil, 0
	c.mu.Unlock()
}

// close turns the cache off for good: the file is closed.
func (c *readCache) close() {
	c.mu.Lock()
	c.closed = true
	c.m, c.bytes = nil, 0
	c.mu.Unlock()
}
