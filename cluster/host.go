package cluster

import (
	"context"

	"github.com/orbital/orbital/bus"
)

// Host is what a node needs from the instance it belongs to (package system implements it).
// Every method may be called from several goroutines.
type Host interface {
	// Bus is the instance's bus: the node attaches its proxies there.
	Bus() *bus.Bus
	// Snapshot fills what this node announces: resources, drivers, modules, processes,
	// restart-always services (Name, Boot, Addr, Seq, Interest are the node's).
	Snapshot() Announcement
	// ModuleName names the module a local pid runs (the receiver checks its policy).
	ModuleName(pid bus.PID) string
	// Bind puts a proxy of a remote process under this node's policy for its module name;
	// Unbind releases it.
	Bind(pid bus.PID, module string) error
	Unbind(pid bus.PID)
	// Spawn starts a module here for a member; fetch gets its package from the asking node
	// when it is not installed (or not with the digest asked). With req.Child the process is
	// the child of a process there: bounded by req.Child's bound (refused when it cannot be),
	// followed until it ends.
	Spawn(ctx context.Context, req SpawnRequest, fetch Fetcher) (Started, error)
	// Package is the signed package archive of an installed module, for a member that fetches
	// it (version "" is the newest).
	Package(name, version string) ([]byte, error)
	// Describe gives the version and entry digest of the installed module name ("" when it
	// is not installed), so a peer can verify what it fetches.
	Describe(name string) (version, digest string)
	// Failover starts here a restart = "always" service whose node was lost; Release stops
	// it again once that node is back and runs it itself.
	Failover(ctx context.Context, name string) error
	Release(name string) error
}

// Fetcher gets a package archive from the node that asked for a spawn.
type Fetcher func(ctx context.Context, name, version string) ([]byte, error)

// SpawnRequest asks a node to start a module (orbital spawn, sdk.Spawn with placement).
type SpawnRequest struct {
	From    string     `json:"from"`    // the asking node
	Module  string     `json:"module"`  // module name
	Version string     `json:"version"` // the asker's installed version ("" unknown)
	Digest  string     `json:"digest"`  // its entry digest, checked after a fetch
	Args    []string   `json:"args,omitempty"`
	Need    Need       `json:"need"`
	By      string     `json:"by,omitempty"`    // who asked, for the panel
	Child   *ChildSpec `json:"child,omitempty"` // the child of a process of the asking node (children.go)
}
