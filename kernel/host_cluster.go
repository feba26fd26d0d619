package kernel

import (
	"context"
	"errors"
	"unicode/utf8"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/policies"
)

// The cluster family of the host ABI (docs/abi.md, "Cluster"): start a module on the node
// placement picks, and address a process of another node. Config.Cluster (system's adapter of
// its cluster node) does the work; without one both answer ERR_NOT_FOUND.
func init() {
	registerHostFuncs(
		hostFunc{name: "proc_spawn_at", params: kinds(i32, i32, i32, i32, i32, i32), results: kinds(i32), fn: hostProcSpawnAt},
		hostFunc{name: "node_pid", params: kinds(i32, i32, i32), results: kinds(i32), fn: hostNodePID},
	)
}

// Cluster is the kernel's door to the other nodes of a cluster (package system adapts its
// cluster node). Errors wrap ErrNoModule, bus.ErrNotFound, bus.ErrDenied or bus.ErrInvalid.
type Cluster interface {
	// Place names the node a spawn with placement goes to: "node=NAME", "any", and
	// "need=memory=1GiB,cores=2,driver=camera", separated by ';'. "" is this node.
	Place(place string) (node string, err error)
	// SpawnOn starts a module on another node as the child of a process here.
	SpawnOn(ctx context.Context, req RemoteSpawn) (RemoteChild, error)
	// Address is the pid on this node's bus that stands for process pid of node.
	Address(node string, pid uint32) (bus.PID, error)
}

// RemoteSpawn is proc_spawn_at's request for a child on another node.
type RemoteSpawn struct {
	Parent     bus.PID
	Node, Name string
	Args       []string
	// Bound is the parent's namespace: the other node gives the child at most these grants,
	// and at most its own policy for the module. Nil only when this kernel checks no policy
	// (Config.AllowAll), and then the door refuses the spawn; a parent without a namespace
	// sends an empty one.
	Bound *policies.Grants
	UI    bool // the parent may open windows
}

// RemoteChild is a child on another node as its parent's kernel sees it.
type RemoteChild interface {
	PID() bus.PID                    // the pid on this node's bus that stands for it
	Done() <-chan struct{}           // closed when it ended, or its node or this one left the cluster
	Exit() (code int, reason string) // how it ended, once Done is closed
	Stop(force bool)                 // a quit request, or a kill at once; does not wait
}

const maxPlace = 1 << 10 // bytes of a placement

// proc_spawn_at(name_ptr, name_len, args_ptr, args_len, place_ptr, place_len) -> pid
//
// As proc_spawn, on the node the placement picks. Either way the module is the caller's
// child: bounded by its namespace, its end a kind 18 message, stopped by proc_kill and by the
// caller's end. Placed on another node, the result is the pid that stands for it here.
func hostProcSpawnAt(c *call, a []wasmtime.Val) []wasmtime.Val {
	name, args, code := spawnRequest(c, a)
	if code != 0 {
		return one(code)
	}
	raw, ok := c.bytes(a[4].I32(), a[5].I32())
	if !ok {
		return one(errFault)
	}
	if len(raw) > maxPlace || !utf8.Valid(raw) {
		return one(errInvalid)
	}
	cl := c.p.k.cfg.Cluster
	if cl == nil {
		if len(raw) == 0 {
			return spawnChild(c, name, args)
		}
		c.p.k.cfg.Log(c.p.pid, c.p.name, 2, "proc_spawn_at "+name+": this instance is not a node of a cluster")
		return one(errNotFound)
	}
	node, err := cl.Place(string(raw))
	if err != nil {
		c.p.k.cfg.Log(c.p.pid, c.p.name, 2, "proc_spawn_at "+name+": "+err.Error())
		return one(clusterCode(c, err))
	}
	if node == "" {
		return spawnChild(c, name, args)
	}
	ch := c.children()
	if ch.full(c, name) {
		return one(errLimit)
	}
	req := RemoteSpawn{Parent: c.p.pid, Node: node, Name: name, Args: args, Bound: c.p.k.boundOf(c.p.pid), UI: c.p.opts.UI}
	var rc RemoteChild
	c.block(func() { rc, err = cl.SpawnOn(c.Context(), req) })
	if err != nil {
		c.p.k.cfg.Log(c.p.pid, c.p.name, 2, "proc_spawn_at "+name+" on node "+node+": "+err.Error())
		return one(clusterCode(c, err))
	}
	ch.adoptRemote(c.p, rc)
	return one(int32(rc.PID()))
}

// node_pid(node_ptr, node_len, pid) -> the pid on this node's bus that stands for pid of node
func hostNodePID(c *call, a []wasmtime.Val) []wasmtime.Val {
	raw, ok := c.bytes(a[0].I32(), a[1].I32())
	if !ok {
		return one(errFault)
	}
	if len(raw) == 0 || len(raw) > 64 || a[2].I32() <= 0 {
		return one(errInvalid)
	}
	cl := c.p.k.cfg.Cluster
	if cl == nil {
		return one(errNotFound)
	}
	pid, err := cl.Address(string(raw), uint32(a[2].I32()))
	if err != nil {
		return one(clusterCode(c, err))
	}
	return one(int32(pid))
}

func clusterCode(c *call, err error) int32 {
	if errors.Is(err, ErrNoModule) {
		return errNotFound
	}
	return c.busCode(err)
}
