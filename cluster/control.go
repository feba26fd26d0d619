package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/orbital/orbital/bus"
)

// Control requests (orb.n.NODE.ctl, JSON): hello (is the name taken?), ps (its processes),
// spawn (start a module here), fetch (a package archive from this node's registry). Only up
// members are served, except hello, which a node asks before it is one.

type ctlRequest struct {
	Op      string        `json:"op"`
	From    string        `json:"from"`
	Boot    string        `json:"boot,omitempty"`
	Spawn   *SpawnRequest `json:"spawn,omitempty"`
	Name    string        `json:"name,omitempty"`
	Version string        `json:"version,omitempty"`
	Lost    string        `json:"lost,omitempty"` // failover: the lost node the service is taken from
	// A child across nodes (children.go): its id (exit, stop), how it ended (exit), a kill at
	// once (stop).
	ID     uint64 `json:"id,omitempty"`
	Code   int    `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
	Force  bool   `json:"force,omitempty"`
}

type ctlReply struct {
	Error string `json:"error,omitempty"`
	Addr  string `json:"addr,omitempty"`
	PID   uint32 `json:"pid,omitempty"`
	Procs []Proc `json:"procs,omitempty"`
	Data  []byte `json:"data,omitempty"`
}

// controlTimeout bounds a spawn (which may fetch and compile) on the asking side.
const controlTimeout = 60 * time.Second

func (n *Node) onControl(msg *nats.Msg) {
	var req ctlRequest
	if len(msg.Data) > 1<<20 || json.Unmarshal(msg.Data, &req) != nil {
		n.bad.Add(1)
		n.logOnce("ctl", "cluster: refused a malformed control request")
		msg.Respond(mustJSON(ctlReply{Error: "malformed control request"}))
		return
	}
	if req.Op == "hello" {
		msg.Respond(mustJSON(ctlReply{Addr: n.addr}))
		return
	}
	n.mu.Lock()
	m := n.members[req.From]
	member := m != nil && !m.lost
	n.mu.Unlock()
	if !member {
		n.logOnce("ctl-"+req.From, "cluster: refused a %s request from %q: not an up member of the cluster", req.Op, req.From)
		msg.Respond(mustJSON(ctlReply{Error: fmt.Sprintf("node %s refuses %q: not an up member of its cluster", n.cfg.Name, req.From)}))
		return
	}
	n.wg.Add(1)
	go func() { // a spawn may take seconds: never in the subscription's callback
		defer n.wg.Done()
		msg.Respond(mustJSON(n.control(req)))
	}()
}

func (n *Node) control(req ctlRequest) ctlReply {
	ctx, cancel := context.WithTimeout(n.ctx, controlTimeout)
	defer cancel()
	switch req.Op {
	case "ps":
		return ctlReply{Procs: n.localProcs()}
	case "spawn":
		if req.Spawn == nil {
			return ctlReply{Error: "spawn: no request"}
		}
		sr := *req.Spawn
		sr.From = req.From
		if c := sr.Child; c != nil && len(c.Bound) == 0 { // fail closed
			n.cfg.Log("cluster: spawn of %s for node %s refused: a child without its parent's bound", sr.Module, req.From)
			return ctlReply{Error: "spawn " + sr.Module + ": refused: the child of a process comes with its parent's bound"}
		}
		st, err := n.cfg.Host.Spawn(ctx, sr, n.fetcher(req.From))
		if err != nil {
			n.cfg.Log("cluster: spawn of %s for node %s refused: %v", sr.Module, req.From, err)
			return ctlReply{Error: err.Error()}
		}
		if sr.Child != nil {
			n.serveChild(req.From, sr.Child.ID, st)
		}
		return ctlReply{PID: st.PID}
	case "exit":
		if err := n.childExit(req.From, req.ID, req.Code, req.Reason); err != nil {
			return ctlReply{Error: err.Error()}
		}
		return ctlReply{}
	case "stop":
		if err := n.stopServed(req.From, req.ID, req.Force); err != nil {
			return ctlReply{Error: err.Error()}
		}
		return ctlReply{}
	case "failover":
		if err := n.adopt(ctx, req.Name, req.Lost); err != nil {
			return ctlReply{Error: err.Error()}
		}
		return ctlReply{}
	case "fetch":
		data, err := n.cfg.Host.Package(req.Name, req.Version)
		if err != nil {
			return ctlReply{Error: err.Error()}
		}
		return ctlReply{Data: data}
	}
	return ctlReply{Error: fmt.Sprintf("unknown control op %q", req.Op)}
}

// call sends a control request to node and decodes the answer.
func (n *Node) call(ctx context.Context, node string, req ctlRequest) (ctlReply, error) {
	req.From = n.cfg.Name
	timeout := controlTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	msg, err := n.nc.Request(fmt.Sprintf(subjCtl, node), mustJSON(req), timeout)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return ctlReply{}, fmt.Errorf("node %s is not up", node)
		}
		return ctlReply{}, fmt.Errorf("node %s: %w", node, err)
	}
	var r ctlReply
	if err := json.Unmarshal(msg.Data, &r); err != nil {
		return ctlReply{}, fmt.Errorf("node %s: a malformed answer: %w", node, err)
	}
	if r.Error != "" {
		return r, fmt.Errorf("node %s: %s", node, r.Error)
	}
	return r, nil
}

// fetcher gets packages from node (the asker of a spawn).
func (n *Node) fetcher(node string) Fetcher {
	return func(ctx context.Context, name, version string) ([]byte, error) {
		r, err := n.call(ctx, node, ctlRequest{Op: "fetch", Name: name, Version: version})
		if err != nil {
			return nil, fmt.Errorf("fetch %s from node %s: %w", name, node, err)
		}
		return r.Data, nil
	}
}

// Spawn starts module on the node Place picks (need, node, any) and returns that node's name
// and the pid there. A node that lacks the module fetches it from this one.
func (n *Node) Spawn(ctx context.Context, req SpawnRequest, node string, any bool) (string, uint32, error) {
	target, err := n.Place(req.Need, node, any)
	if err != nil {
		return "", 0, err
	}
	req.From = n.cfg.Name
	if req.Version == "" {
		req.Version, req.Digest = n.cfg.Host.Describe(req.Module)
	}
	if target == n.cfg.Name {
		st, err := n.cfg.Host.Spawn(ctx, req, nil)
		return target, st.PID, err
	}
	r, err := n.call(ctx, target, ctlRequest{Op: "spawn", Spawn: &req})
	if err != nil {
		return target, 0, err
	}
	return target, r.PID, nil
}

// localProcs is this node's process list, named.
func (n *Node) localProcs() []Proc {
	ps := n.cfg.Host.Snapshot().Procs
	for i := range ps {
		ps[i].Node = n.cfg.Name
	}
	return ps
}

// Processes lists the processes of every node: asked of each up member (at most 2 s), the
// last announced list for one that does not answer, and a lost node's last list with state
// "lost".
func (n *Node) Processes(ctx context.Context) []Proc {
	out := n.localProcs()
	type ask struct {
		name  string
		lost  bool
		procs []Proc
	}
	var asks []ask
	n.mu.Lock()
	for name, m := range n.members {
		if name != n.cfg.Name {
			asks = append(asks, ask{name: name, lost: m.lost, procs: append([]Proc(nil), m.ann.Procs...)})
		}
	}
	n.mu.Unlock()
	res := make(chan []Proc, len(asks))
	for _, a := range asks {
		go func() {
			if !a.lost {
				c, cancel := context.WithTimeout(ctx, 2*time.Second)
				r, err := n.call(c, a.name, ctlRequest{Op: "ps"})
				cancel()
				if err == nil {
					for i := range r.Procs {
						r.Procs[i].Node = a.name
					}
					res <- r.Procs
					return
				}
			}
			ps := a.procs
			for i := range ps {
				ps[i].Node = a.name
				if a.lost {
					ps[i].State = "lost"
				}
			}
			res <- ps
		}()
	}
	for range asks {
		out = append(out, <-res...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Node != out[j].Node {
			return out[i].Node < out[j].Node
		}
		return out[i].PID < out[j].PID
	})
	return out
}

// failover restarts the restart = "always" services of lost node a. One node decides, the
// up node with the smallest name (every node computes the same one from its table), and
// starts each service on the node with the most free resources among those that have it
// installed, through an ordinary spawn request.
func (n *Node) failover(a Announcement) {
	if len(a.Always) == 0 {
		return
	}
	n.mu.Lock()
	coord := n.cfg.Name
	var cands []*Announcement
	self := n.cfg.Host.Snapshot()
	self.Name = n.cfg.Name
	cands = append(cands, &self)
	for name, m := range n.members {
		if name != n.cfg.Name && !m.lost {
			if name < coord {
				coord = name
			}
			c := m.ann
			cands = append(cands, &c)
		}
	}
	n.mu.Unlock()
	if coord != n.cfg.Name {
		return
	}
	rank(cands)
	for _, svc := range a.Always {
		target := ""
		for _, c := range cands {
			for _, mod := range c.Modules {
				if mod == svc {
					target = c.Name
					break
				}
			}
			if target != "" {
				break
			}
		}
		if target == "" {
			n.cfg.Log("cluster: %s of lost node %s: no up node has it installed", svc, a.Name)
			continue
		}
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			ctx, cancel := context.WithTimeout(n.ctx, controlTimeout)
			defer cancel()
			var err error
			if target == n.cfg.Name {
				err = n.adopt(ctx, svc, a.Name)
			} else {
				_, err = n.call(ctx, target, ctlRequest{Op: "failover", Name: svc, Lost: a.Name})
			}
			if err != nil {
				n.cfg.Log("cluster: %s of lost node %s on node %s: %v", svc, a.Name, target, err)
				return
			}
			n.cfg.Log("cluster: %s of lost node %s started again on node %s", svc, a.Name, target)
		}()
	}
}

func isDenied(err error) bool { return errors.Is(err, bus.ErrDenied) }

// Announced lists the other nodes' processes as they last announced them (no network; a lost
// node's with state "lost"): the panel's node column, refreshed every second.
func (n *Node) Announced() []Proc {
	var out []Proc
	n.mu.Lock()
	for name, m := range n.members {
		if name == n.cfg.Name {
			continue
		}
		for _, p := range m.ann.Procs {
			p.Node = name
			if m.lost {
				p.State = "lost"
			}
			out = append(out, p)
		}
	}
	n.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Node != out[j].Node {
			return out[i].Node < out[j].Node
		}
		return out[i].PID < out[j].PID
	})
	return out
}

// adopt starts service (a restart = "always" service of the lost node from) here, and
// remembers it: when from is back and runs it itself, handBack stops this one, so the
// service does not run twice.
func (n *Node) adopt(ctx context.Context, service, from string) error {
	if err := n.cfg.Host.Failover(ctx, service); err != nil {
		return err
	}
	n.mu.Lock()
	n.adopted[service] = from
	n.mu.Unlock()
	return nil
}

// handBackLocked stops the services this node adopted from m once m runs them again (n.mu
// held; the stops run on their own goroutines).
func (n *Node) handBackLocked(m *member) {
	for _, svc := range m.ann.Always {
		if n.adopted[svc] != m.ann.Name {
			continue
		}
		delete(n.adopted, svc)
		from := m.ann.Name
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			if err := n.cfg.Host.Release(svc); err != nil {
				n.cfg.Log("cluster: %s: node %s runs it again, but stopping this node's: %v", svc, from, err)
				return
			}
			n.cfg.Log("cluster: %s: node %s runs it again; stopped here", svc, from)
		}()
	}
}
