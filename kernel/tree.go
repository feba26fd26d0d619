package kernel

import (
	"fmt"
	"sync/atomic"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
)

// Process trees (issue 18, defect 7: each child could spawn 64 more, and a spawning module
// reached 3.2 GB in 7 s). A process the embedder starts is the root of a tree; every process
// it starts with proc_spawn, and theirs, joins the same tree. The tree has one budget its
// members share: at most Limits.TreeProcs processes besides the root alive at once (a spawn
// past it is ERR_LIMIT), and Limits.TreeMemory bytes of linear memory and tables for all of
// them together (each memory is charged to its process's ceiling and to the tree's,
// memlimit_cgo.go). The root's limits set the tree's; a child's own limits only lower its own
// ceiling. Without Limits.TreeMemory the tree may hold four times the root's own ceiling.

// DefaultTreeProcs is how many processes a tree may hold besides its root; its memory is by
// default treeMemoryFactor times the root's ceiling (1 GiB under the default 256 MiB).
const (
	DefaultTreeProcs = 64
	treeMemoryFactor = 4
)

// procTree is the shared budget of one process tree.
type procTree struct {
	budget budget
	live   atomic.Int32 // members alive, the root included
	max    int32        // members besides the root
	memory int64
}

// joinTree returns the tree a process spawned with o belongs to, counting it as a member: a new
// tree for a root, its parent's tree for a child, refused when that tree is full.
func (k *Kernel) joinTree(o SpawnOptions) (*procTree, error) {
	if o.Parent == 0 {
		mem := o.Limits.TreeMemory
		if mem <= 0 {
			mem = treeMemoryFactor * o.Limits.Memory
		}
		t := &procTree{max: int32(o.Limits.TreeProcs), memory: max(mem, o.Limits.Memory)}
		t.budget = newBudget(t.memory, budget{})
		t.live.Store(1)
		return t, nil
	}
	parent := k.Process(o.Parent)
	if parent == nil || parent.tree == nil || parent.Info().State.Done() {
		return nil, fmt.Errorf("kernel: spawn %s: %w: parent pid %d has ended", o.Name, ErrNoProcess, o.Parent)
	}
	t := parent.tree
	for {
		n := t.live.Load()
		if n <= 0 {
			return nil, fmt.Errorf("kernel: spawn %s: %w: parent pid %d has ended", o.Name, ErrNoProcess, o.Parent)
		}
		if n-1 >= t.max {
			return nil, fmt.Errorf("kernel: spawn %s: %w: its process tree already has %d processes besides its root (limits.tree_procs)",
				o.Name, bus.ErrLimit, n-1)
		}
		if t.live.CompareAndSwap(n, n+1) {
			return t, nil
		}
	}
}

// leave ends one member's membership; the last one out frees the tree's budget (memories
// still alive keep it until they go).
func (t *procTree) leave() {
	if t != nil && t.live.Add(-1) == 0 {
		t.budget.release()
	}
}

// Per-module bounds on what a module may declare (the store limiter counts them per store, so
// they are multiplied by the modules of a process: its own and its libraries; each library
// also brings a thunk, with one table, and an adapter, linking.go).
const (
	memoriesPerInstance = 2
	tablesPerInstance   = 2
	minTableElements    = 16 << 10
	maxTableElements    = 1 << 20
	tableElementBytes   = 8 // a funcref slot
)

// storeLimits bounds a process's store and charges its tables' worst case to its budget: at
// most memoriesPerInstance memories and tablesPerInstance tables per instance, each table of
// at most tableElements(limit) elements. It runs on the process thread, after the budget is
// entered. It fails when the tables alone do not fit the ceiling.
func (p *Process) storeLimits(s *wasmtime.Store, lim Limits) error {
	mods, libs := int64(1+len(p.code.libs)), int64(len(p.code.libs))
	tables := tablesPerInstance*mods + libs
	elems := tableElements(lim.Memory, tables)
	s.Limiter(lim.Memory, elems, mods+2*libs+1, tables, memoriesPerInstance*mods)
	reserve := tables * elems * tableElementBytes
	if p.tableCharge == 0 {
		if !p.budget.charge(reserve) {
			return fmt.Errorf("kernel: %s: the tables' reserve of %s does not fit the memory ceiling of %s",
				p.name, sizeString(reserve), sizeString(lim.Memory))
		}
		p.tableCharge = reserve
	}
	return nil
}

// tableElements is the most elements one table may hold: about 1/64 of the ceiling for all
// tables together, within [minTableElements, maxTableElements] (a Go module's one table holds
// about 6k functions).
func tableElements(memory, tables int64) int64 {
	return min(max(memory/64/tableElementBytes/max(tables, 1), minTableElements), maxTableElements)
}

// MemoryInUse is what the process's memories and tables are charged now (all of them, the
// library instances' too), and the most they were charged.
func (p *Process) MemoryInUse() (now, peak int64) {
	if p.budget.c == nil {
		return 0, 0
	}
	return p.budget.used(), p.budget.peak()
}
