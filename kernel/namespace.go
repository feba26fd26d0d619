package kernel

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/policies"
)

// Policy enforcement. With Config.Policies set, every process gets a namespace from the policy
// store when it is spawned, and every door asks it:
//
//   - WASI: preopens, environment and arguments granted by policy are added to the process's
//     SpawnOptions (the caller's own Dirs and Env are the user's grants and stay);
//     memory, deadline and fuel ceilings lower the process's limits;
//   - the bus: the bus's Check hook (every send, publish, subscribe, request and region
//     creation) goes to checkBus;
//   - surfaces: surface_create asks allowSurface;
//   - the clipboard: clipboard_read and clipboard_write ask allowClipboard (host_clip.go);
//   - devices: CheckDevice is the drivers' device hook;
//   - the network: http_fetch asks checkDoor(OpNet) for the URL, each redirect and each dial
//     (host_net.go);
//   - services: call asks checkDoor(OpCall) for the service's name (host_call.go);
//   - spawn: proc_spawn asks checkDoor(OpSpawn) (host_proc.go), and a process spawned with
//     SpawnOptions.Parent gets at most its parent's namespace; one spawned with
//     SpawnOptions.Bound (its parent is on another node) at most that bound.
//
// Denials are *policies.DeniedError values wrapped to match bus.ErrDenied (ERR_DENIED for the
// guest) and recorded in the audit log. Pids the kernel did not spawn (pid 0, the kernel and
// shell; native drivers until they are bound with BindNamespace) are not checked here: their
// embedder vouches for them.
//
// Fail closed: without Config.Policies every process the kernel spawns is bound to a namespace
// that refuses every door (procPolicy.live nil: it may compute, print and exit). Only an
// embedder that says Config.AllowAll gets no checks at all (tests, embedders with their own
// rules); forgetting the policy store never opens anything.

// procPolicy is one bound process. live nil: the kernel has no policies and refuses all.
type procPolicy struct {
	live    *policies.Live
	name    string
	denials atomic.Int32
}

// noPolicyRule is the rule a refusal names when the kernel runs without policies.
const noPolicyRule = "this kernel has no policies (kernel.Config.Policies is nil), so every door is closed"

// allowed is live.Allowed, false without policies.
func (pp *procPolicy) allowed(op policies.Op, object string) bool {
	return pp.live != nil && pp.live.Allowed(op, object)
}

// nsOrNil is pp's namespace, nil for no process policy or none without policies.
func (pp *procPolicy) nsOrNil() *policies.Namespace {
	if pp == nil {
		return nil
	}
	return pp.namespace()
}

// namespace is the current namespace, nil without policies.
func (pp *procPolicy) namespace() *policies.Namespace {
	if pp.live == nil {
		return nil
	}
	return pp.live.Namespace()
}

// policyTable maps pids to their live namespaces. Safe for concurrent use: the bus calls
// checkBus from every sender's thread.
type policyTable struct {
	store *policies.Store
	log   func(pid bus.PID, name string, level int, line string)
	procs pidTable
	// checkBus is the bus hook (makeCheckBus).
	checkBus func(bus.Op, bus.PID, string) error
	cancel   context.CancelFunc
	done     chan struct{}
}

// newPolicyTable returns nil for allowAll without a store: no enforcement. Without a store the table refuses
// every door of every process it binds.
func newPolicyTable(st *policies.Store, allowAll bool, log func(bus.PID, string, int, string)) *policyTable {
	if allowAll && st == nil {
		return nil
	}
	t := &policyTable{store: st, log: log}
	t.checkBus = t.makeCheckBus()
	return t
}

// busCheck is the bus's Config.Check, or nil without policies.
func (t *policyTable) busCheck() func(bus.Op, bus.PID, string) error {
	if t == nil {
		return nil
	}
	return t.checkBus
}

// start follows policy edits until stop.
func (t *policyTable) start() {
	if t == nil || t.store == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel, t.done = cancel, make(chan struct{})
	go func() {
		defer close(t.done)
		t.store.Watch(ctx, 0)
	}()
}

func (t *policyTable) stop() {
	if t == nil || t.cancel == nil {
		return
	}
	t.cancel()
	<-t.done
}

// busOps maps the bus's operations onto policy operations; a reply answers a request the
// process received, so it needs no grant of its own.
var busOps = [...]policies.Op{
	bus.OpSend:      policies.OpSend,
	bus.OpPublish:   policies.OpPublish,
	bus.OpSubscribe: policies.OpSubscribe,
	bus.OpRequest:   policies.OpRequest,
	bus.OpRegion:    policies.OpRegion,
}

// makeCheckBus returns the hook as a closure holding the whole check, so the bus's call lands
// in the body directly (a method value would add a wrapper call on every message).
func (t *policyTable) makeCheckBus() func(bus.Op, bus.PID, string) error {
	return func(op bus.Op, pid bus.PID, object string) error {
		var pp *procPolicy
		if pid < pidPages<<pidPageBits { // pidTable.load, by hand: this runs for every message
			if pg := t.procs.pages[pid>>pidPageBits].Load(); pg != nil {
				pp = pg[pid&(1<<pidPageBits-1)].Load()
			}
		} else {
			pp = t.procs.loadHigh(pid)
		}
		if pp == nil || op == bus.OpReply {
			return nil
		}
		if int(op) >= len(busOps) || busOps[op] == 0 {
			return fmt.Errorf("%w: unknown bus operation %v", bus.ErrDenied, op)
		}
		pop := busOps[op]
		if pop == policies.OpSend {
			// A direct send depends only on bus.direct, not on the receiver.
			if ns := pp.namespace(); ns != nil && ns.AllowDirect() {
				return nil
			}
		} else if pp.allowed(pop, object) {
			return nil // the hot path: no audit, no logging
		}
		return pp.check(t, pid, pop, object)
	}
}

func (pp *procPolicy) check(t *policyTable, pid bus.PID, op policies.Op, object string) error {
	var err error
	if pp.live == nil {
		err = &policies.DeniedError{Module: pp.name, Op: op, Object: object, Rule: noPolicyRule}
	} else if err = pp.live.Check(op, object); err == nil {
		return nil
	}
	// The first denials of a process go to the kernel log too; all of them are audited.
	switch n := pp.denials.Add(1); {
	case n <= 3:
		t.log(pid, pp.name, 2, "denied: "+err.Error())
	case n == 4:
		t.log(pid, pp.name, 2, "further denials are recorded in the audit log only (orbital audit --module "+pp.name+")")
	}
	return fmt.Errorf("%w: %w", bus.ErrDenied, err)
}

// resolve binds the module's namespace before the process exists and shapes o with it: WASI
// preopens, environment, arguments and limit ceilings. A broken policy refuses the module.
func (t *policyTable) resolve(m *Module, o *SpawnOptions) (*procPolicy, error) {
	if t == nil {
		if o.Bound != nil { // fail closed: nothing here could hold it to its parent's bound
			return nil, fmt.Errorf("%w: %s is the child of a process on another node, and this kernel checks no policy that could bound it", bus.ErrDenied, o.Name)
		}
		return nil, nil
	}
	if t.store == nil {
		return &procPolicy{name: o.Name}, nil // no policies: nothing is granted
	}
	var parent *policies.Live
	if o.Parent != 0 {
		pp := t.procs.load(o.Parent)
		if pp == nil {
			return nil, fmt.Errorf("parent pid %d has no namespace", o.Parent)
		}
		parent = pp.live
	}
	id := policies.Identity{Name: o.Name, Publisher: o.Publisher, Requests: o.Requests}
	live, err := t.store.BindWithin(0, id, o.Grants, parent, o.Bound)
	if err != nil {
		return nil, err
	}
	ns := live.Namespace()
	o.Dirs = slices.Clip(o.Dirs) // never append into the caller's array (run spawns several)
	for _, p := range ns.Preopens() {
		if st, err := os.Stat(p.Host); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("policy %s grants %s -> %s, but %s is not a directory; create it or fix the policy",
				p.Src, p.Host, p.Guest, p.Host)
		}
		o.Dirs = append(o.Dirs, Preopen{Host: p.Host, Guest: p.Guest, ReadOnly: p.Mode != policies.ReadWrite})
	}
	o.Env = append(ns.Env(), o.Env...)
	o.Args = append(ns.Args(), o.Args...)
	lim := ns.Limits()
	if lim.Memory > 0 && (o.Limits.Memory <= 0 || lim.Memory < o.Limits.Memory) {
		o.Limits.Memory = lim.Memory
	}
	if lim.Deadline > 0 && (o.Limits.Deadline <= 0 || lim.Deadline < o.Limits.Deadline) {
		o.Limits.Deadline = lim.Deadline
	}
	if lim.CPU > 0 && (o.Limits.CPU <= 0 || lim.CPU < o.Limits.CPU) {
		o.Limits.CPU = lim.CPU
	}
	if lim.Fuel > 0 && (o.Limits.Fuel == 0 || lim.Fuel < o.Limits.Fuel) {
		o.Limits.Fuel = lim.Fuel
	}
	if n, bytes := ns.Regions(); n > 0 {
		o.Limits.Inbox.MaxRegions = n
		if bytes > 0 {
			o.Limits.Inbox.MaxRegionBytes = bytes
		}
	}
	return &procPolicy{live: live, name: o.Name}, nil
}

// attach makes pid's namespace answer the bus's checks until the process ends.
func (t *policyTable) attach(pid bus.PID, pp *procPolicy, p *Process) {
	if t == nil || pp == nil {
		return
	}
	if pp.live != nil {
		pp.live.SetPID(uint32(pid))
	}
	t.procs.store(pid, pp)
	p.atExit = append(p.atExit, func() { t.procs.delete(pid) })
}

// allowSurface decides surface_create for p: the embedder's SpawnOptions.UI and, with
// policies, the namespace's ui grant and maximum size.
func (p *Process) allowSurface(w, h int) bool {
	if !p.opts.UI {
		return false
	}
	t := p.k.policy
	if t == nil {
		return true
	}
	pp := t.procs.load(p.pid)
	if pp == nil {
		return false
	}
	return pp.check(t, p.pid, policies.OpSurface, strconv.Itoa(w)+"x"+strconv.Itoa(h)) == nil
}

// Policies is the kernel's policy store (nil without enforcement).
func (k *Kernel) Policies() *policies.Store {
	if k.policy == nil || k.policy.store == nil {
		return nil
	}
	return k.policy.store
}

// Namespace returns the current namespace of pid, or nil if it has none.
func (k *Kernel) Namespace(pid bus.PID) *policies.Namespace {
	if k.policy == nil {
		return nil
	}
	pp := k.policy.procs.load(pid)
	if pp == nil {
		return nil
	}
	return pp.namespace()
}

// boundOf is the namespace pid carries to a child on another node (proc_spawn_at): a copy of
// its grants; nothing at all when it has no namespace or a refused one; nil only when the
// kernel checks no policy (AllowAll).
func (k *Kernel) boundOf(pid bus.PID) *policies.Grants {
	if k.policy == nil {
		return nil
	}
	ns := k.Namespace(pid)
	if ns == nil || ns.Refused != nil {
		return &policies.Grants{}
	}
	return ns.Grants.Clone()
}

// CheckDevice is the drivers' device hook: may pid talk to a driver of device?
func (k *Kernel) CheckDevice(pid bus.PID, device string) error {
	if k.policy == nil {
		return nil
	}
	pp := k.policy.procs.load(pid)
	if pp == nil {
		return nil
	}
	return pp.check(k.policy, pid, policies.OpDevice, device)
}

// BindNamespace puts a process the kernel did not spawn (a native driver) under the policy of
// the module name; it stays bound until UnbindNamespace.
func (k *Kernel) BindNamespace(pid bus.PID, name string) error {
	if k.policy == nil {
		return nil
	}
	if k.policy.store == nil {
		k.policy.procs.store(pid, &procPolicy{name: name})
		return nil
	}
	live, err := k.policy.store.Bind(uint32(pid), policies.Identity{Name: name}, nil, nil)
	if err != nil {
		return err
	}
	k.policy.procs.store(pid, &procPolicy{live: live, name: name})
	return nil
}

// UnbindNamespace releases a BindNamespace binding.
func (k *Kernel) UnbindNamespace(pid bus.PID) {
	if k.policy != nil {
		k.policy.procs.delete(pid)
	}
}
