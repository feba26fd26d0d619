package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/orbital/orbital/bus"
)

// The bus bridge. Each member has a node proxy on the local bus (a remote endpoint, see
// bus/remote.go) subscribed to the patterns it announced: a local publish or request that
// matches goes through the same trie as any other, and the proxy's sink sends it to that
// node. A remote process that sent us something, or that a local one addresses by node and
// pid, has a process proxy: a pid on this bus (bound to this node's policy for its module)
// whose direct sends go to it. Nothing of this exists without a cluster, and a message
// between two local processes never touches it.

// Proxy pids: far above the kernel's (from 1), the drivers' (1<<20) and the topic relays'
// (1<<28).
const (
	proxyBase  bus.PID = 1 << 29
	maxProxies         = 4096
	// requestTimeout bounds how long a node waits for a local answer to a remote request;
	// the requester's own timeout ends it sooner on its side.
	requestTimeout = 30 * time.Second
	ackTimeout     = 5 * time.Second
	// hdrWait carries a direct send's timeout in ms: the receiving node waits for room in
	// the inbox for at most three quarters of it (receiveWait), so that a send its sender
	// gave up on is not delivered after all.
	hdrWait = "Orb-Wait"
)

// receiveWait is how long the receiving node waits for room for a direct send whose
// message carried hdrWait (ackTimeout without it, or for a value that does not parse).
func receiveWait(msg *nats.Msg) time.Duration {
	ms, err := strconv.ParseInt(msg.Header.Get(hdrWait), 10, 64)
	if err != nil || ms <= 0 {
		return ackTimeout
	}
	return min(ackTimeout, max(time.Duration(ms)*time.Millisecond*3/4, time.Millisecond))
}

type rkey struct {
	node, boot string
	pid        uint32
}

// proxy is a local pid standing for a remote node (pid 0) or process.
type proxy struct {
	node, boot string
	pid        uint32
	module     string
	pins       int // live children known by this pid (children.go): never evicted
}

// allocLocked gives the next free proxy pid.
func (n *Node) allocLocked() bus.PID {
	for {
		p := n.nextPID
		n.nextPID++
		if n.nextPID >= proxyBase+1<<28 {
			n.nextPID = proxyBase
		}
		if _, used := n.proxies[p]; !used {
			return p
		}
	}
}

// syncInterestLocked makes m's node proxy hold exactly the patterns m announced.
func (n *Node) syncInterestLocked(m *member) {
	if m.proxy == 0 {
		pid := n.allocLocked()
		name := m.ann.Name
		if _, err := n.b.AttachRemote(pid, bus.InboxLimits{MaxSubs: maxList, MaxRegions: 1024, MaxRegionBytes: 1 << 30}, n.nodeSink(name)); err != nil {
			n.cfg.Log("cluster: node %s: %v", name, err)
			return
		}
		m.proxy = pid
		m.subs = map[string]uint32{}
		n.proxies[pid] = &proxy{node: name, boot: m.ann.Boot}
	}
	want := map[string]bool{}
	for _, p := range m.ann.Interest {
		want[p] = true
		if _, ok := m.subs[p]; ok {
			continue
		}
		id, err := n.b.Subscribe(m.proxy, p, bus.Reliable)
		if err != nil {
			continue
		}
		m.subs[p] = id
	}
	for p, id := range m.subs {
		if !want[p] {
			n.b.Unsubscribe(m.proxy, id)
			delete(m.subs, p)
		}
	}
}

// dropMemberLocked detaches m's node proxy and process proxies: requests only it could
// answer fail at once, sends to its processes are ErrNotFound.
func (n *Node) dropMemberLocked(m *member) {
	n.proxyGen.Add(1)
	if m.proxy != 0 {
		n.b.Detach(m.proxy)
		delete(n.proxies, m.proxy)
		m.proxy = 0
		m.subs = map[string]uint32{}
	}
	for rpid, pid := range m.procs {
		n.b.Detach(pid)
		n.cfg.Host.Unbind(pid)
		delete(n.proxies, pid)
		delete(n.byRmt, rkey{m.ann.Name, m.ann.Boot, rpid})
	}
	m.procs = map[uint32]bus.PID{}
}

// procProxy returns the proxy of process rpid on node (attached and bound on first use).
func (n *Node) procProxy(node string, rpid uint32, module string) (bus.PID, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := n.members[node]
	if m == nil || m.lost || node == n.cfg.Name {
		return 0, fmt.Errorf("%w: node %s is not up", bus.ErrNotFound, node)
	}
	k := rkey{node, m.ann.Boot, rpid}
	if pid, ok := n.byRmt[k]; ok {
		if p := n.proxies[pid]; module != "" && p.module != module {
			p.module = module
			n.cfg.Host.Bind(pid, module)
		}
		return pid, nil
	}
	if len(n.order) >= maxProxies {
		n.evictLocked()
	}
	pid := n.allocLocked()
	if _, err := n.b.AttachRemote(pid, bus.InboxLimits{}, n.procSink(node, rpid)); err != nil {
		return 0, err
	}
	if module == "" {
		for _, p := range m.ann.Procs {
			if p.PID == rpid {
				module = p.Name
			}
		}
	}
	if err := n.cfg.Host.Bind(pid, module); err != nil {
		n.b.Detach(pid)
		return 0, err
	}
	n.proxies[pid] = &proxy{node: node, boot: m.ann.Boot, pid: rpid, module: module}
	n.byRmt[k] = pid
	m.procs[rpid] = pid
	n.order = append(n.order, pid)
	return pid, nil
}

// lastProxy is the process proxy of a batch's last frame: its frames mostly come from one
// sender, and procProxy takes the node's lock and hashes its key for each.
type lastProxy struct {
	from   uint32
	module string
	gen    uint64
	pid    bus.PID
}

// proxyOf is procProxy for frame f from member src, through last (nil: none) when it is the
// same sender's and no proxy was detached since.
func (n *Node) proxyOf(src string, f *frame, last *lastProxy) (bus.PID, error) {
	gen := n.proxyGen.Load()
	if last != nil && last.pid != 0 && last.from == f.from && last.module == f.module && last.gen == gen {
		return last.pid, nil
	}
	pid, err := n.procProxy(src, f.from, f.module)
	if err == nil && last != nil {
		*last = lastProxy{from: f.from, module: f.module, gen: gen, pid: pid}
	}
	return pid, err
}

func (n *Node) evictLocked() {
	for tries := len(n.order); tries > 0 && len(n.order) >= maxProxies; tries-- {
		pid := n.order[0]
		n.order = n.order[1:]
		p := n.proxies[pid]
		if p == nil {
			continue
		}
		if p.pins > 0 { // a live child's: keep it, the next oldest goes
			n.order = append(n.order, pid)
			continue
		}
		n.proxyGen.Add(1)
		n.b.Detach(pid)
		n.cfg.Host.Unbind(pid)
		delete(n.proxies, pid)
		delete(n.byRmt, rkey{p.node, p.boot, p.pid})
		if m := n.members[p.node]; m != nil {
			delete(m.procs, p.pid)
		}
	}
}

// Address returns the local pid standing for process pid on node: what a local process
// sends to, to reach it.
func (n *Node) Address(node string, pid uint32) (bus.PID, error) {
	return n.procProxy(node, pid, "")
}

// Remote tells which node and pid a proxy pid stands for.
func (n *Node) Remote(pid bus.PID) (node string, rpid uint32, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.proxies[pid]
	if p == nil {
		return "", 0, false
	}
	return p.node, p.pid, true
}

// frameOf builds the frame of m, a message handed to proxy pid's sink, copying its regions
// (and releasing the proxy's handles).
func (n *Node) frameOf(pid bus.PID, m bus.Message) (frame, error) {
	f := frame{op: opMessage, kind: uint32(m.Kind), from: uint32(m.From), corr: m.Corr, topic: m.Topic, payload: m.Payload}
	var err error
	total := 0
	for _, a := range m.Regions {
		if err == nil {
			var r *bus.Region
			r, _, err = n.b.Region(pid, a.Handle)
			if err == nil {
				total += int(r.Size())
				if total > MaxRegionCopy {
					err = fmt.Errorf("%w: %d region bytes to another node, the limit is %d", bus.ErrTooBig, total, MaxRegionCopy)
				} else {
					f.regions = append(f.regions, wireRegion{rights: uint32(a.Rights &^ bus.FlagTransfer), data: append([]byte(nil), r.Bytes()...)})
				}
			}
		}
		n.b.RegionRelease(pid, a.Handle)
	}
	if err != nil {
		return f, err
	}
	if m.From != 0 {
		f.module = n.cfg.Host.ModuleName(m.From)
	}
	if limit := n.maxPayload.Load(); int64(f.size()) > limit {
		return f, fmt.Errorf("%w: %d bytes to another node, the connection's limit is %d", bus.ErrTooBig, f.size(), limit)
	}
	return f, nil
}

// nodeSink sends what the local bus routes to member node's proxy: publishes go into the
// node's outbox (outbox.go), requests at once after what it holds.
func (n *Node) nodeSink(node string) bus.Sink {
	o := n.outboxFor(node)
	return func(ctx context.Context, m bus.Message) error {
		f, err := n.frameOf(m.To, m)
		if err != nil {
			return err
		}
		if m.Kind == bus.KindPublish {
			o.queue(f)
			return nil
		}
		if err := o.flush(f.encode()); err != nil {
			return fmt.Errorf("%w: node %s: %v", bus.ErrNotFound, node, err)
		}
		return nil
	}
}

// procSink delivers a direct send to process rpid on node and waits for its ack: a send
// that cannot be delivered is an error, never a silent loss.
func (n *Node) procSink(node string, rpid uint32) bus.Sink {
	subj := fmt.Sprintf(subjMsg, node, n.cfg.Name)
	o := n.outboxFor(node)
	return func(ctx context.Context, m bus.Message) error {
		o.flush(nil) // what this sender published before goes first
		f, err := n.frameOf(m.To, m)
		if err != nil {
			return err
		}
		f.to = rpid
		timeout := ackTimeout
		if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
			timeout = max(time.Until(d), time.Millisecond)
		}
		req := nats.NewMsg(subj)
		req.Data = f.encode()
		req.Header.Set(hdrWait, strconv.FormatInt(int64(timeout/time.Millisecond), 10))
		msg, err := n.nc.RequestMsg(req, timeout)
		if err != nil {
			if errors.Is(err, nats.ErrTimeout) {
				return fmt.Errorf("%w: node %s did not acknowledge the send to its pid %d within %v", bus.ErrTimeout, node, rpid, timeout)
			}
			return fmt.Errorf("%w: node %s: %v", bus.ErrNotFound, node, err)
		}
		n.sent.Add(1)
		r, err := decodeFrame(msg.Data)
		if err != nil {
			return fmt.Errorf("node %s: a bad acknowledgement: %w", node, err)
		}
		if r.op == opError {
			return wireErr(node, r)
		}
		return nil
	}
}
