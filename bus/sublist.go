package bus

import (
	"fmt"
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

	// Where it sits in the trie (under sublist.mu): its node, which list (gt or subs) and its
	// index there, so removing it is a swap with the list's last element, not a search.
	at  *node
	gt  bool
	idx int
}

// node is one level of the trie: literal children, a '*' child, a '>' leaf. parent and tok
// lead back to the root, so an emptied node is pruned without walking down again.
type node struct {
	next   map[string]*node
	star   *node
	gt     []*subscription // subscriptions ending in '>' here
	subs   []*subscription // subscriptions ending exactly here
	parent *node
	tok    string // the token leading here from parent ("*" for parent.star)
}

func (n *node) empty() bool {
	return len(n.next) == 0 && n.star == nil && len(n.gt) == 0 && len(n.subs) == 0
}

// maxCache bounds the match cache (topic -> result); past it the cache is emptied.
const maxCache = 4096

// sublist matches topics against many patterns: a trie by token, as NATS's sublist, with a
// bounded cache of results. Changes clear the cache; results are immutable slices.
//
// Every change costs O(pattern tokens), whatever the number of subscriptions: removal swaps
// the subscription out of its node's list by index and prunes up through parent links, and a
// process's subscriptions are found through byPID. (Removal used to search the node's list and
// the whole table: 100k subscriptions of one process took 26 s to release at its exit.)
type sublist struct {
	mu    sync.RWMutex // guards root, byID, byPID and every node and subscription position
	root  *node
	byID  map[uint32]*subscription
	byPID map[PID]map[uint32]*subscription
	cmu   sync.Mutex // guards cache; taken after mu, never before
	cache map[string][]*subscription
	// interest counts the local (not remote) subscriptions per pattern, nil when the
	// sublist does not track it (topic modes); see Bus.Patterns.
	interest *interest
}

func newSublist() *sublist {
	return &sublist{root: &node{}, byID: map[uint32]*subscription{}, byPID: map[PID]map[uint32]*subscription{},
		cache: map[string][]*subscription{}}
}

func (s *sublist) count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byID)
}

// countPID is how many subscriptions pid holds.
func (s *sublist) countPID(pid PID) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byPID[pid])
}

func (s *sublist) clearCache() {
	s.cmu.Lock()
	clear(s.cache)
	s.cmu.Unlock()
}

// insert adds sub unless its process already holds max subscriptions (max <= 0: no cap).
func (s *sublist) insert(sub *subscription, max int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mine := s.byPID[sub.pid]
	if max > 0 && len(mine) >= max {
		return fmt.Errorf("%w: %v already holds %d subscriptions (the limit)", ErrLimit, sub.pid, len(mine))
	}
	s.place(sub)
	s.byID[sub.id] = sub
	if mine == nil {
		mine = map[uint32]*subscription{}
		s.byPID[sub.pid] = mine
	}
	mine[sub.id] = sub
	s.interest.add(sub, 1)
	s.clearCache()
	return nil
}

// place puts sub into the trie, creating the nodes of its pattern.
func (s *sublist) place(sub *subscription) {
	n := s.root
	rest := sub.pattern
	for rest != "" {
		var t string
		t, rest, _ = strings.Cut(rest, ".")
		if t == ">" && rest == "" {
			sub.at, sub.gt, sub.idx = n, true, len(n.gt)
			n.gt = append(n.gt, sub)
			n = nil
			break
		}
		if t == "*" {
			if n.star == nil {
				n.star = &node{parent: n, tok: "*"}
			}
			n = n.star
			continue
		}
		if n.next == nil {
			n.next = map[string]*node{}
		}
		c := n.next[t]
		if c == nil {
			c = &node{parent: n, tok: t}
			n.next[t] = c
		}
		n = c
	}
	if n != nil {
		sub.at, sub.gt, sub.idx = n, false, len(n.subs)
		n.subs = append(n.subs, sub)
	}
}

// remove deletes sub and prunes empty nodes.
func (s *sublist) remove(sub *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeLocked(sub)
	s.clearCache()
}

// removeLocked takes sub out of the trie and the indexes in O(pattern tokens).
func (s *sublist) removeLocked(sub *subscription) {
	if s.byID[sub.id] != sub {
		return
	}
	if mine := s.byPID[sub.pid]; mine != nil {
		delete(mine, sub.id)
		if len(mine) == 0 {
			delete(s.byPID, sub.pid)
		}
	}
	s.unlink(sub)
}

// unlink takes sub out of byID and the trie, pruning the nodes it leaves empty.
func (s *sublist) unlink(sub *subscription) {
	delete(s.byID, sub.id)
	s.interest.add(sub, -1)
	n := sub.at
	list := &n.subs
	if sub.gt {
		list = &n.gt
	}
	last := len(*list) - 1
	if moved := (*list)[last]; moved != sub {
		(*list)[sub.idx] = moved
		moved.idx = sub.idx
	}
	(*list)[last] = nil
	*list = (*list)[:last]
	sub.at = nil
	for n.parent != nil && n.empty() { // prune empty nodes bottom-up
		p := n.parent
		if n.tok == "*" && p.star == n {
			p.star = nil
		} else {
			delete(p.next, n.tok)
		}
		n = p
	}
}

// removePID deletes every subscription of pid. When pid holds most of them (a process that
// subscribed in a loop), the others are put into a fresh trie instead: O(the others) rather
// than O(its own), and the old trie goes to the garbage collector in one piece.
func (s *sublist) removePID(pid PID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mine := s.byPID[pid]
	if len(mine) > 64 && 2*len(mine) > len(s.byID) {
		s.rebuildWithout(pid)
	} else {
		for _, sub := range mine {
			s.unlink(sub)
		}
		delete(s.byPID, pid)
	}
	s.clearCache()
}

// rebuildWithout replaces the trie and indexes with ones holding every subscription but pid's.
func (s *sublist) rebuildWithout(pid PID) {
	old := s.byID
	for _, sub := range s.byPID[pid] {
		s.interest.add(sub, -1)
	}
	delete(s.byPID, pid)
	s.root, s.byID = &node{}, make(map[uint32]*subscription, len(old)-len(s.byPID))
	for _, subs := range s.byPID {
		for _, sub := range subs {
			s.place(sub)
			s.byID[sub.id] = sub
		}
	}
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
