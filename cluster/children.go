package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/orbital/orbital/bus"
)

// Children across nodes (proc_spawn_at, sdk.SpawnOn). A process that starts a module on
// another node is its parent as for a local child: the asking node sends the parent's
// namespace with the spawn (ChildSpec.Bound) and the serving node gives the child at most
// that and at most its own policy; the serving node reports the child's end back (control op
// exit), and the asking node asks it to stop the child (op stop) on proc_kill and when the
// parent ends. Each side ends the link when the other is lost: the asker reports the child
// ended (137, "node X was lost"), the server asks the child to quit (its parent is gone).

// ChildSpec makes a spawned process the child of a process of the asking node.
type ChildSpec struct {
	ID     uint64 `json:"id"`     // the asking node's handle: exit and stop requests name it
	Parent uint32 `json:"parent"` // the parent's pid on the asking node
	// Bound is the parent's namespace (policies.EncodeBound), always: the serving node refuses
	// a child without one, or with one it cannot read, rather than run it unbounded.
	Bound json.RawMessage `json:"bound,omitempty"`
	UI    bool            `json:"ui,omitempty"` // the parent may open windows
}

// Started is a process a node started for a member (Host.Spawn).
type Started struct {
	PID  uint32
	Done <-chan struct{}                  // closed when it ended
	Exit func() (code int, reason string) // how it ended, once Done is closed
	Stop func(force bool)                 // a quit request, or a kill at once; does not wait
}

// Child is a process another node started as the child of a local process (SpawnChild). It
// satisfies kernel.RemoteChild.
type Child struct {
	n      *Node
	id     uint64
	node   string
	pid    bus.PID // the proxy standing for it here, once the spawn was answered
	done   chan struct{}
	code   int
	reason string
}

// PID is the pid on this node's bus that stands for the child.
func (c *Child) PID() bus.PID { return c.pid }

// Done is closed when the child ended, or its node or this one left the cluster.
func (c *Child) Done() <-chan struct{} { return c.done }

// Exit is how the child ended; valid once Done is closed.
func (c *Child) Exit() (int, string) { return c.code, c.reason }

// Stop asks the child's node to stop it: a quit request, or with force a kill at once. It
// does not wait; an ended child is not an error.
func (c *Child) Stop(force bool) {
	select {
	case <-c.done:
	default:
		c.n.stopRemote(c.node, c.id, force)
	}
}

// stopRemote asks node to stop child id, on a goroutine of the node's.
func (n *Node) stopRemote(node string, id uint64, force bool) {
	if n.ctx.Err() != nil {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		ctx, cancel := context.WithTimeout(n.ctx, ackTimeout)
		defer cancel()
		if _, err := n.call(ctx, node, ctlRequest{Op: "stop", ID: id, Force: force}); err != nil {
			n.cfg.Log("cluster: stopping a child on node %s: %v", node, err)
		}
	}()
}

// servedKey names a child this node runs for a parent on node.
type servedKey struct {
	node string
	id   uint64
}

// exitCodeLost is a child's exit code when its node, or its parent's, left the cluster.
const exitCodeLost = 137

// SpawnChild starts req.Module on node (not this one) as the child of a local process;
// req.Child carries the parent's pid and bound. A node that lacks the module fetches it from
// this one.
func (n *Node) SpawnChild(ctx context.Context, req SpawnRequest, node string) (*Child, error) {
	if req.Child == nil || node == n.cfg.Name {
		return nil, errors.New("cluster: SpawnChild wants a ChildSpec and another node")
	}
	spec := *req.Child
	req.Child, req.From = &spec, n.cfg.Name
	if req.Version == "" {
		req.Version, req.Digest = n.cfg.Host.Describe(req.Module)
	}
	c := &Child{n: n, node: node, done: make(chan struct{})}
	n.mu.Lock()
	n.kidSeq++
	c.id, spec.ID = n.kidSeq, n.kidSeq
	n.kids[c.id] = c
	n.mu.Unlock()
	r, err := n.call(ctx, node, ctlRequest{Op: "spawn", Spawn: &req})
	var pid bus.PID
	if err == nil {
		pid, err = n.procProxy(node, r.PID, req.Module)
	}
	if err != nil {
		n.mu.Lock()
		n.finishLocked(c, exitCodeLost, err.Error())
		n.mu.Unlock()
		if r.Error == "" { // unanswered, or answered and then lost: it may run there
			n.stopRemote(node, c.id, true)
		}
		return nil, err
	}
	n.mu.Lock()
	c.pid = pid // under n.mu: an early exit report may be finishing c
	if _, alive := n.kids[c.id]; alive {
		if p := n.proxies[c.pid]; p != nil {
			p.pins++ // not evicted while the child lives: its parent knows it by this pid
		}
	}
	n.mu.Unlock()
	return c, nil
}

// finishLocked ends c with code and reason (n.mu held); a child ends once.
func (n *Node) finishLocked(c *Child, code int, reason string) {
	if n.kids[c.id] != c {
		return
	}
	delete(n.kids, c.id)
	c.code, c.reason = code, reason
	if p := n.proxies[c.pid]; c.pid != 0 && p != nil && p.pins > 0 {
		p.pins--
	}
	close(c.done)
}

// childExit is op exit: node reports that child id ended.
func (n *Node) childExit(node string, id uint64, code int, reason string) error {
	if len(reason) > maxReason {
		reason = strings.ToValidUTF8(reason[:maxReason], "")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.kids[id]
	if c == nil || c.node != node {
		return fmt.Errorf("no child %d of this node runs on node %s", id, node)
	}
	n.finishLocked(c, code, reason)
	return nil
}

// maxReason bounds the reason an exit report carries.
const maxReason = 1 << 10

// serveChild follows st, started here as child id of a process of node from: its end is
// reported to from, and from's stop requests reach it.
func (n *Node) serveChild(from string, id uint64, st Started) {
	key := servedKey{from, id}
	n.mu.Lock()
	if m := n.members[from]; m == nil || m.lost {
		n.mu.Unlock()
		st.Stop(false) // its parent's node left meanwhile
		return
	}
	n.served[key] = st
	n.mu.Unlock()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		select {
		case <-st.Done:
		case <-n.ctx.Done():
			return
		}
		n.mu.Lock()
		_, ours := n.served[key]
		delete(n.served, key)
		n.mu.Unlock()
		if !ours {
			return // its parent's node was lost: nobody to tell
		}
		code, reason := st.Exit()
		ctx, cancel := context.WithTimeout(n.ctx, ackTimeout)
		defer cancel()
		if _, err := n.call(ctx, from, ctlRequest{Op: "exit", ID: id, Code: code, Reason: reason}); err != nil {
			n.cfg.Log("cluster: the end of a child of node %s: %v", from, err)
		}
	}()
}

// stopServed is op stop: node asks to stop child id it started here.
func (n *Node) stopServed(node string, id uint64, force bool) error {
	n.mu.Lock()
	st, ok := n.served[servedKey{node, id}]
	n.mu.Unlock()
	if !ok {
		return fmt.Errorf("no child %d of node %s runs here", id, node)
	}
	st.Stop(force)
	return nil
}

// unlinkLocked ends the children links with node (lost, restarted, or this node closing):
// its children of local parents end with reason; the children this node runs for it are
// returned, to be asked to quit outside n.mu.
func (n *Node) unlinkLocked(node, reason string) []Started {
	for _, c := range n.kids {
		if c.node == node {
			n.finishLocked(c, exitCodeLost, reason)
		}
	}
	var orphans []Started
	for k, st := range n.served {
		if k.node == node {
			orphans = append(orphans, st)
			delete(n.served, k)
		}
	}
	return orphans
}

// quitAll asks each of orphans to quit, on a goroutine of the node's.
func (n *Node) quitAll(orphans []Started) {
	if len(orphans) == 0 {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for _, st := range orphans {
			st.Stop(false)
		}
	}()
}
