package bus

import (
	"strings"
	"sync"
)

// Mode is a subscription's delivery mode.
type Mode uint8

const (
	// Reliable: order kept per sender; a full inbox makes the publisher wait (up to its timeout),
	// then the publish fails with ErrFull for that subscriber.
	Reliable Mode = 0
	// Lossy: never waits; a full inbox drops the subscriber's oldest queued message of this
	// subscription (or of any lossy one), and counts the drop.
	Lossy Mode = 1
)

// subscription is one pattern of one process.
type subscription struct {
	id      uint32
	pid     PID
	pattern string
	mode    Mode
	inbox   *Inbox
}

// node is one level of the trie: literal children, a '*' child, a '>' leaf.
type node struct {
	next map[string]*node
	star *node
	gt   []*subscription // subscriptions ending in '>' here
	subs []*subscription // subscriptions ending exactly here
}

func (n *node) empty() bool {
	return len(n.next) == 0 && n.star == nil && len(n.gt) == 0 && len(n.subs) == 0
}

// maxCache bounds the match cache (topic -> result); past it the cache is emptied.
const maxCache = 4096

// sublist matches topics against many patterns: a trie by token, as NATS's sublist, with a
// bounded cache of results. Changes clear the cache; results are immutable slices.
type sublist struct {
	mu    sync.RWMutex // guards root, byID, n
	root  *node
	byID  map[uint32]*subscription
	cmu   sync.Mutex // guards cache; taken after mu, never before
	cache map[string][]*subscription
}

func newSublist() *sublist {
	return &sublist{root: &node{}, byID: map[uint32]*subscription{}, cache: map[string][]*subscription{}}
}

func (s *sublist) count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byID)
}

func (s *sublist) clearCache() {
	s.cmu.Lock()
	clear(s.cache)
	s.cmu.Unlock()
}

func (s *sublist) insert(sub *subscription) {
	s.mu.Lock()
	n := s.root
	toks := strings.Split(sub.pattern, ".")
	for i, t := range toks {
		if t == ">" && i == len(toks)-1 {
			n.gt = append(n.gt, sub)
			n = nil
			break
		}
		if t == "*" {
			if n.star == nil {
				n.star = &node{}
			}
			n = n.star
			continue
		}
		if n.next == nil {
			n.next = map[string]*node{}
		}
		c := n.next[t]
		if c == nil {
			c = &node{}
			n.next[t] = c
		}
		n = c
	}
	if n != nil {
		n.subs = append(n.subs, sub)
	}
	s.byID[sub.id] = sub
	s.clearCache()
	s.mu.Unlock()
}

func without(list []*subscription, sub *subscription) []*subscription {
	for i, x := range list {
		if x == sub {
			out := make([]*subscription, 0, len(list)-1)
			out = append(out, list[:i]...)
			return append(out, list[i+1:]...)
		}
	}
	return list
}

// remove deletes sub and prunes empty nodes.
func (s *sublist) remove(sub *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeLocked(sub)
	s.clearCache()
}

func (s *sublist) removeLocked(sub *subscription) {
	if s.byID[sub.id] != sub {
		return
	}
	delete(s.byID, sub.id)
	toks := strings.Split(sub.pattern, ".")
	path := make([]*node, 0, len(toks)+1)
	n := s.root
	path = append(path, n)
	for i, t := range toks {
		if t == ">" && i == len(toks)-1 {
			n.gt = without(n.gt, sub)
			n = nil
			break
		}
		if t == "*" {
			n = n.star
		} else {
			n = n.next[t]
		}
		if n == nil {
			return
		}
		path = append(path, n)
	}
	if n != nil {
		n.subs = without(n.subs, sub)
	}
	for i := len(path) - 1; i > 0; i-- { // prune empty nodes bottom-up
		if !path[i].empty() {
			break
		}
		parent, t := path[i-1], toks[i-1]
		if t == "*" {
			parent.star = nil
		} else {
			delete(parent.next, t)
		}
	}
}

// removePID deletes every subscription of pid.
func (s *sublist) removePID(pid PID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.byID {
		if sub.pid == pid {
			s.removeLocked(sub)
		}
	}
	s.clearCache()
}

// get returns subscription id if pid owns it.
func (s *sublist) get(id uint32, pid PID) (*subscription, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sub, ok := s.byID[id]
	if !ok || sub.pid != pid {
		return nil, false
	}
	return sub, true
}

// match returns the subscriptions whose pattern matches topic (a valid topic). The result is
// shared and must not be modified.
func (s *sublist) match(topic string) []*subscription {
	s.cmu.Lock()
	r, ok := s.cache[topic]
	s.cmu.Unlock()
	if ok {
		return r
	}
	s.mu.RLock()
	var out []*subscription
	matchLevel(s.root, topic, &out)
	// Store while still holding the read lock: a writer clears the cache only after taking the
	// write lock, so no stale result can outlive a change.
	s.cmu.Lock()
	if len(s.cache) >= maxCache {
		clear(s.cache)
	}
	s.cache[topic] = out
	s.cmu.Unlock()
	s.mu.RUnlock()
	return out
}

func matchLevel(n *node, topic string, out *[]*subscription) {
	if n == nil {
		return
	}
	*out = append(*out, n.gt...)
	tok, rest, more := strings.Cut(topic, ".")
	if c := n.next[tok]; c != nil {
		if more {
			matchLevel(c, rest, out)
		} else {
			*out = append(*out, c.subs...)
		}
	}
	if n.star != nil {
		if more {
			matchLevel(n.star, rest, out)
		} else {
			*out = append(*out, n.star.subs...)
		}
	}
}
