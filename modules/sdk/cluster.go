//go:build wasip1

package sdk

import (
	"fmt"
	"strings"
	"unsafe"
)

//go:wasmimport orbital proc_spawn_at
func hostProcSpawnAt(name string, args unsafe.Pointer, argsLen int32, place string) int32

//go:wasmimport orbital node_pid
func hostNodePID(node string, pid int32) int32

// Place says where SpawnOn starts a module in a cluster of Orbital nodes, as `orbital spawn`
// does: on Node when set; else, with Any, on the node that has what Need asks
// ("memory=1GiB,cores=2,driver=camera") with the most free resources; else here.
type Place struct {
	Node string
	Any  bool
	Need string
}

func (p Place) String() string {
	var parts []string
	if p.Node != "" {
		parts = append(parts, "node="+p.Node)
	}
	if p.Any {
		parts = append(parts, "any")
	}
	if p.Need != "" {
		parts = append(parts, "need="+p.Need)
	}
	return strings.Join(parts, ";")
}

// SpawnOn is Spawn on the node place picks. Wherever it lands the module is a child as
// Spawn's: bounded by the caller's namespace, its end a KindExit message, stopped by Kill and
// by the caller's end. On another node the result is the pid that stands for it here (send
// to it, Request it). Errors as Spawn's, and ErrNotFound when no node fits or this instance
// is not a node of a cluster. An empty place is exactly Spawn.
func SpawnOn(place Place, name string, args ...string) (uint32, error) {
	joined, err := joinArgs(name, args)
	if err != nil {
		return 0, err
	}
	p, n := bytesPtr(joined)
	pid, err := check(hostProcSpawnAt(name, p, n, place.String()))
	if err != nil {
		return 0, fmt.Errorf("orbital: spawn %s at %s: %w", name, place, err)
	}
	return uint32(pid), nil
}

// NodePID returns the pid on this node's bus that stands for process pid of node: Send to
// it, as to a local process. ErrNotFound: no such node up, or not a cluster.
func NodePID(node string, pid uint32) (uint32, error) {
	r, err := check(hostNodePID(node, int32(pid)))
	if err != nil {
		return 0, fmt.Errorf("orbital: node %s pid %d: %w", node, pid, err)
	}
	return uint32(r), nil
}
