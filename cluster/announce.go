package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/orbital/orbital/bus"
)

// begin subscribes the node's subjects, refuses a taken name, and starts the announcer and
// the reaper.
func (n *Node) begin(ctx context.Context) error {
	me := n.cfg.Name
	subs := []struct {
		subj string
		cb   nats.MsgHandler
	}{
		{subjAnnounce, n.onAnnounce},
		{fmt.Sprintf(subjMsg, me, "*"), n.onMessage},
		{fmt.Sprintf(subjReply, me, "*"), n.onReply},
	}
	for _, s := range subs {
		sub, err := n.nc.Subscribe(s.subj, s.cb)
		if err != nil {
			return fmt.Errorf("cluster: subscribe %s: %w", s.subj, err)
		}
		sub.SetPendingLimits(1<<16, 256<<20)
	}
	if err := n.nc.FlushTimeout(5 * time.Second); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	// A live node with this name answers its control subject, and announces itself at least
	// once per interval: ask, then listen for one interval before taking the name.
	if msg, err := n.nc.Request(fmt.Sprintf(subjCtl, me), mustJSON(ctlRequest{Op: "hello", From: me, Boot: n.boot}), time.Second); err == nil {
		var r ctlReply
		json.Unmarshal(msg.Data, &r)
		return fmt.Errorf("%w: a node named %s is already up at %s; pick another with --node", ErrNameTaken, me, r.Addr)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(n.cfg.Announce + n.cfg.Announce/2):
	}
	n.mu.Lock()
	m := n.members[me]
	n.mu.Unlock()
	if m != nil && !m.lost {
		return fmt.Errorf("%w: a node named %s is already up at %s; pick another with --node", ErrNameTaken, me, m.ann.Addr)
	}
	if _, err := n.nc.Subscribe(fmt.Sprintf(subjCtl, me), n.onControl); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if n.srv != nil {
		if _, err := n.nc.QueueSubscribe(subjRoutes, "routes", func(msg *nats.Msg) {
			msg.Respond([]byte(n.srv.routeURL(n.tok)))
		}); err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
	}
	// Start returns with the control and route subjects known to the server: a node that
	// joins right after (or asks whether this name is taken) must find them answered.
	if err := n.nc.FlushTimeout(5 * time.Second); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	n.started = time.Now()
	n.announce()
	n.wg.Add(3)
	go n.announcer()
	go n.reaper()
	go n.flusher()
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own types always encode
	}
	return b
}

// announcer announces every Config.Announce, and at once when the local bus's interest
// changes (a process subscribed to a new pattern, or the last one of a pattern went).
func (n *Node) announcer() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.Announce)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		case <-n.b.InterestChanged():
		}
		n.announce()
	}
}

// announce publishes this node's announcement.
func (n *Node) announce() {
	a := n.cfg.Host.Snapshot()
	n.mu.Lock()
	n.seq++
	a.V, a.Name, a.Boot, a.Addr, a.Started, a.Seq = 1, n.cfg.Name, n.boot, n.addr, n.started.UnixMilli(), n.seq
	n.mu.Unlock()
	a.Interest = n.b.Patterns()
	n.syncServices(a.Services)
	if len(a.Procs) > maxProcsSent {
		a.Procs = a.Procs[:maxProcsSent]
	}
	if err := n.nc.Publish(subjAnnounce, mustJSON(a)); err != nil {
		n.logOnce("announce", "cluster: announce: %v", err)
	}
}

// onAnnounce takes another node's announcement into the member table.
func (n *Node) onAnnounce(msg *nats.Msg) {
	a, ok := n.decodeAnnouncement(msg.Data)
	if !ok {
		return
	}
	if a.Name == n.cfg.Name && a.Boot == n.boot {
		return // our own (NoEcho does not cover a second connection)
	}
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	m := n.members[a.Name]
	switch {
	case m == nil:
	case m.ann.Boot == a.Boot:
		if a.Seq <= m.ann.Seq && !m.lost {
			return // late or replayed
		}
	case !m.lost:
		n.mu.Unlock()
		n.logOnce("dup-"+a.Name, "cluster: refused node %s at %s: the name is taken by the node at %s", a.Name, a.Addr, m.ann.Addr)
		n.mu.Lock()
		return
	default: // it restarted: a new incarnation
		n.quitAll(n.unlinkLocked(a.Name, "node "+a.Name+" restarted"))
		n.dropMemberLocked(m)
		m = nil
	}
	if a.Name == n.cfg.Name {
		// Before we took the name (begin waits for this), or a second node claiming it.
		if n.started.IsZero() {
			n.members[a.Name] = &member{ann: a, seen: now}
		} else {
			n.mu.Unlock()
			n.logOnce("dup-"+a.Name, "cluster: refused node %s at %s: that is this node's name", a.Name, a.Addr)
			n.mu.Lock()
		}
		return
	}
	if m == nil {
		m = &member{procs: map[uint32]bus.PID{}, subs: map[string]uint32{}}
		n.members[a.Name] = m
		n.mu.Unlock()
		n.cfg.Log("cluster: node %s joined (%s)", a.Name, a.Addr)
		n.mu.Lock()
	} else if m.lost {
		n.mu.Unlock()
		n.cfg.Log("cluster: node %s is back (%s)", a.Name, a.Addr)
		n.mu.Lock()
	}
	m.ann, m.seen, m.lost = a, now, false
	n.syncInterestLocked(m)
	n.handBackLocked(m)
}

// decodeAnnouncement parses and checks an announcement; a refused one is counted and logged.
func (n *Node) decodeAnnouncement(data []byte) (Announcement, bool) {
	var a Announcement
	var key, why string
	if len(data) > maxAnnounce {
		key, why = "ann-size", fmt.Sprintf("an announcement of %d bytes (limit %d)", len(data), maxAnnounce)
	} else if err := json.Unmarshal(data, &a); err != nil {
		key, why = "ann-json", fmt.Sprintf("a malformed announcement: %v", err)
	} else if err := a.Validate(); err != nil {
		key, why = "ann-"+a.Name, fmt.Sprintf("the announcement of node %q: %v", a.Name, err)
	} else {
		return a, true
	}
	n.bad.Add(1)
	n.logOnce(key, "cluster: refused %s", why)
	return a, false
}

// reaper marks members lost when they have been silent for Config.Lost.
func (n *Node) reaper() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.Announce / 4)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		var lost []Announcement
		n.mu.Lock()
		for _, m := range n.members {
			if !m.lost && m.ann.Name != n.cfg.Name && now.Sub(m.seen) > n.cfg.Lost {
				m.lost = true
				n.quitAll(n.unlinkLocked(m.ann.Name, "node "+m.ann.Name+" was lost"))
				n.dropMemberLocked(m)
				lost = append(lost, m.ann)
			}
		}
		n.mu.Unlock()
		for _, a := range lost {
			n.cfg.Log("cluster: node %s lost (silent for %v)", a.Name, n.cfg.Lost)
			n.failover(a)
		}
	}
}

// Nodes lists this node and every member it knows, sorted by name.
func (n *Node) Nodes() []NodeInfo {
	now := time.Now()
	self := n.cfg.Host.Snapshot()
	out := []NodeInfo{{Name: n.cfg.Name, State: "up", Addr: n.addr, Self: true, Uptime: now.Sub(n.started).Milliseconds(),
		Cores: self.Cores, MemTotal: self.MemTotal, MemFree: self.MemFree, Procs: len(self.Procs), Drivers: self.Drivers, LastSeen: now}}
	n.mu.Lock()
	for name, m := range n.members {
		if name != n.cfg.Name {
			out = append(out, m.info(now))
		}
	}
	n.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Place picks the node a spawn with need goes to: node when named (it must be up and fit),
// else, with any, the fitting node with the most free resources (this one included), else
// this node.
func (n *Node) Place(need Need, node string, any bool) (string, error) {
	self := n.cfg.Host.Snapshot()
	self.Name = n.cfg.Name
	cands := []*Announcement{&self}
	n.mu.Lock()
	for name, m := range n.members {
		if name != n.cfg.Name && !m.lost {
			a := m.ann
			cands = append(cands, &a)
		}
	}
	n.mu.Unlock()
	if node != "" {
		for _, c := range cands {
			if c.Name == node {
				if !need.fits(c) {
					return "", fmt.Errorf("cluster: node %s does not have what the spawn needs (%s)", node, need)
				}
				return node, nil
			}
		}
		return "", fmt.Errorf("cluster: no node %s is up (orbital nodes lists them)", node)
	}
	if !any {
		if !need.fits(&self) {
			return "", fmt.Errorf("cluster: this node does not have what the spawn needs (%s); pass --any to place it elsewhere", need)
		}
		return n.cfg.Name, nil
	}
	fit := slices.DeleteFunc(cands, func(a *Announcement) bool { return !need.fits(a) })
	if len(fit) == 0 {
		return "", fmt.Errorf("cluster: no node up has what the spawn needs (%s)", need)
	}
	rank(fit)
	return fit[0].Name, nil
}

func (n Need) String() string {
	s := ""
	add := func(f string, a ...any) {
		if s != "" {
			s += ","
		}
		s += fmt.Sprintf(f, a...)
	}
	if n.Memory > 0 {
		add("memory=%d", n.Memory)
	}
	if n.Cores > 0 {
		add("cores=%d", n.Cores)
	}
	for _, d := range n.Drivers {
		add("driver=%s", d)
	}
	if s == "" {
		return "nothing"
	}
	return s
}
