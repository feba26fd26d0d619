package kernel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/policies"
)

// The process family of the host ABI (docs/abi.md, "Processes"): a module starts other
// modules by name and may stop the ones it started.
//
//   - proc_spawn asks the namespace (process.spawn must name or glob-match the module; a denial
//     is audited), then the embedder's Launcher finds the module (the registry, module
//     directories) and its identity (manifest requests, publisher). The child is spawned with
//     SpawnOptions.Parent set, so under policies its namespace is its own intersected with
//     the parent's: a child never gets more than its parent (attenuation); it may open
//     windows only if the parent may.
//   - A child's end is a KindExit message in the parent's inbox (pid, exit code, reason),
//     which the bus never evicts.
//   - proc_kill stops one of the caller's own children (any other pid is ERR_NOT_FOUND).
//   - When a parent ends, the children it still has are asked to quit (then killed after the
//     grace period): a module's helpers do not outlive it.
//   - A child proc_spawn_at starts on another node (host_cluster.go) is a child too: bounded
//     by the parent's namespace there, its end a KindExit here, reached by proc_kill and by
//     the parent's end.
func init() {
	registerHostFuncs(
		hostFunc{name: "proc_spawn", params: kinds(i32, i32, i32, i32), results: kinds(i32), fn: hostProcSpawn},
		hostFunc{name: "proc_kill", params: kinds(i32, i32), results: kinds(i32), fn: hostProcKill},
	)
	registerErrorCode(ErrNoModule, errNotFound)
}

// Launcher finds modules by name for proc_spawn. The embedder implements it with the same
// lookup its own commands use (package system: the registry, then module directories).
type Launcher interface {
	// Launch returns the module name (asked for by process parent) refers to and the options to spawn it with: its
	// identity (Name, Version, Publisher, Requests) and output; UI says whether it may open
	// windows. The kernel sets Parent and Args and bounds UI by the parent's. An unknown name
	// is an error wrapping ErrNoModule.
	Launch(parent bus.PID, name string) (*Module, SpawnOptions, error)
	// Started follows every Launch that returned no error: p is the child (nil when Spawn
	// failed, with err saying why), so the embedder can attach its output capture and
	// bookkeeping, or release them.
	Started(parent bus.PID, p *Process, err error)
}

// ErrNoModule is a Launcher's error for a name it does not know.
var ErrNoModule = errors.New("no such module")

const (
	maxChildren   = 64       // live children per process
	maxSpawnName  = 256      // bytes of module name
	maxSpawnArgs  = 64 << 10 // bytes of NUL-separated arguments
	exitReasonMax = 1 << 10  // bytes of reason in a KindExit message
)

// children is the live children of one process, touched on its thread (host calls, atExit)
// and by each child's watcher goroutine. remote are those on other nodes (host_cluster.go).
type children struct {
	mu     sync.Mutex
	live   map[bus.PID]*Process
	remote map[bus.PID]RemoteChild
}

type childrenKey struct{}

func (c *call) children() *children {
	return c.local(childrenKey{}, func() any {
		ch := &children{live: map[bus.PID]*Process{}, remote: map[bus.PID]RemoteChild{}}
		c.atExit(func() { ch.orphan(c.p.k) })
		return ch
	}).(*children)
}

// orphan asks every child still alive to quit, here and on other nodes: the parent is ending.
func (ch *children) orphan(k *Kernel) {
	ch.mu.Lock()
	kids := make([]*Process, 0, len(ch.live))
	for _, p := range ch.live {
		kids = append(kids, p)
	}
	far := make([]RemoteChild, 0, len(ch.remote))
	for _, rc := range ch.remote {
		far = append(far, rc)
	}
	ch.mu.Unlock()
	for _, p := range kids {
		p.requestQuit(k.cfg.QuitGrace)
	}
	for _, rc := range far {
		rc.Stop(false)
	}
}

// full reports (and logs) that the caller already has maxChildren live children.
func (ch *children) full(c *call, name string) bool {
	ch.mu.Lock()
	n := len(ch.live) + len(ch.remote)
	ch.mu.Unlock()
	if n < maxChildren {
		return false
	}
	c.p.k.cfg.Log(c.p.pid, c.p.name, 2, fmt.Sprintf("proc_spawn %s: already %d children alive (the limit)", name, n))
	return true
}

// adoptRemote makes rc (started on another node by proc_spawn_at) a child like a local one:
// its end is a KindExit message, proc_kill and the parent's end reach it.
func (ch *children) adoptRemote(p *Process, rc RemoteChild) {
	pid := rc.PID()
	ch.mu.Lock()
	ch.remote[pid] = rc
	ch.mu.Unlock()
	go func() { // ends with rc: Done closes when the child ends or either node leaves
		<-rc.Done()
		ch.mu.Lock()
		delete(ch.remote, pid)
		ch.mu.Unlock()
		code, reason := rc.Exit()
		postExit(p, pid, code, reason)
	}()
}

// postExit tells parent p that its child pid ended (KindExit, which the bus never evicts).
func postExit(p *Process, pid bus.PID, code int, reason string) {
	if len(reason) > exitReasonMax {
		reason = strings.ToValidUTF8(reason[:exitReasonMax], "") // never half a character
	}
	payload := make([]byte, 8+len(reason))
	binary.LittleEndian.PutUint32(payload[0:], uint32(pid))
	binary.LittleEndian.PutUint32(payload[4:], uint32(int32(code)))
	copy(payload[8:], reason)
	p.k.bus.Post(bus.Message{Kind: bus.KindExit, To: p.pid, Payload: payload}) // the parent may have ended: nothing to tell
}

// proc_spawn(name_ptr, name_len, args_ptr, args_len) -> pid
func hostProcSpawn(c *call, a []wasmtime.Val) []wasmtime.Val {
	name, args, code := spawnRequest(c, a)
	if code != 0 {
		return one(code)
	}
	return spawnChild(c, name, args)
}

// spawnRequest reads proc_spawn's (and proc_spawn_at's) module name and arguments from a[0:4]
// and asks the door: the namespace's process.spawn must name the module.
func spawnRequest(c *call, a []wasmtime.Val) (name string, args []string, code int32) {
	raw, ok := c.bytes(a[0].I32(), a[1].I32())
	if !ok {
		return "", nil, errFault
	}
	if len(raw) == 0 || len(raw) > maxSpawnName || !utf8.Valid(raw) || bytes.ContainsAny(raw, "/\\\x00") {
		return "", nil, errInvalid
	}
	name = string(raw)
	rawArgs, ok := c.bytes(a[2].I32(), a[3].I32())
	if !ok {
		return "", nil, errFault
	}
	if len(rawArgs) > maxSpawnArgs || !utf8.Valid(rawArgs) {
		return "", nil, errInvalid
	}
	if len(rawArgs) > 0 {
		args = strings.Split(strings.TrimSuffix(string(rawArgs), "\x00"), "\x00")
	}
	if err := c.p.checkDoor(policies.OpSpawn, name); err != nil {
		return "", nil, c.busCode(err)
	}
	return name, args, 0
}

// spawnChild starts name with args as a child of the caller, through the Launcher.
func spawnChild(c *call, name string, args []string) []wasmtime.Val {
	p := c.p
	l := p.k.cfg.Launcher
	if l == nil {
		p.k.cfg.Log(p.pid, p.name, 2, "proc_spawn "+name+": this kernel has no launcher (modules cannot start modules here)")
		return one(errNotFound)
	}
	ch := c.children()
	if ch.full(c, name) {
		return one(errLimit)
	}
	var kid *Process
	var err error
	c.block(func() {
		var m *Module
		var o SpawnOptions
		if m, o, err = l.Launch(p.pid, name); err != nil {
			return
		}
		o.Parent, o.Args = p.pid, args
		o.UI = o.UI && p.opts.UI
		kid, err = p.k.Spawn(m, o)
		l.Started(p.pid, kid, err)
	})
	if err != nil {
		p.k.cfg.Log(p.pid, p.name, 2, "proc_spawn "+name+": "+err.Error())
		if errors.Is(err, ErrNoModule) {
			return one(errNotFound)
		}
		var denied *policies.DeniedError
		if errors.As(err, &denied) || errors.Is(err, bus.ErrDenied) {
			return one(errDenied)
		}
		return one(c.busCode(err))
	}
	ch.mu.Lock()
	ch.live[kid.pid] = kid
	ch.mu.Unlock()
	go func() {
		<-kid.Done()
		ch.mu.Lock()
		delete(ch.live, kid.pid)
		ch.mu.Unlock()
		in := kid.Info()
		postExit(p, kid.pid, in.ExitCode, in.Reason)
	}()
	return one(int32(kid.pid))
}

// proc_kill(pid, force) -> 0: stop a child of the caller (force 0: quit request, then kill
// after the grace period; 1: at once).
func hostProcKill(c *call, a []wasmtime.Val) []wasmtime.Val {
	pid, force := bus.PID(a[0].I32()), a[1].I32()
	if force != 0 && force != 1 {
		return one(errInvalid)
	}
	ch := c.children()
	ch.mu.Lock()
	kid, far := ch.live[pid], ch.remote[pid]
	ch.mu.Unlock()
	if far != nil {
		far.Stop(force == 1)
		return one(0)
	}
	if kid == nil {
		return one(errNotFound)
	}
	if force == 1 {
		kid.forceKill(fmt.Sprintf("killed by its parent %s (pid %d)", c.p.name, c.p.pid))
	} else {
		kid.requestQuit(c.p.k.cfg.QuitGrace)
	}
	return one(0)
}
