package system

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/cluster"
	"github.com/orbital/orbital/drivers"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/registry"
)

// ClusterConfig makes the instance a node of a cluster (orbital up --cluster-listen, --join,
// --node; package cluster, docs/design/cluster.md).
type ClusterConfig struct {
	Node   string // default the host name
	Listen string // HOST:PORT for an embedded NATS server
	// Advertise is the HOST:PORT other nodes reach Listen at (required when Listen's host is
	// unspecified, 0.0.0.0)
	Advertise string
	Join      string // nats://[TOKEN@]HOST:PORT
}

// clusterAddrFile is where a node that listens writes its address, for orbital cluster token.
func clusterAddrFile(home string) string { return filepath.Join(home, "run", "cluster.addr") }

// startCluster joins the cluster; a failure fails Start (the user asked for a cluster).
func (in *Instance) startCluster(ctx context.Context) error {
	c := in.cfg.Cluster
	n, err := cluster.New(cluster.Config{Name: c.Node, Listen: c.Listen, Advertise: c.Advertise, Join: c.Join, Home: in.cfg.Home,
		Host: clusterHost{in}, Log: func(f string, a ...any) { in.errorf(f, a...) }})
	if err != nil {
		return err
	}
	in.serveCalls(n) // before Start: its first announcement subscribes the services
	if err := n.Start(ctx); err != nil {
		return err
	}
	in.node.Store(n)
	in.undo = append(in.undo, n.Close)
	if c.Listen != "" {
		p := clusterAddrFile(in.cfg.Home)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(strings.TrimPrefix(n.Addr(), "nats://")+"\n"), 0o600); err == nil {
			in.undo = append(in.undo, func() { os.Remove(p) })
		}
	}
	return nil
}

// Node is the instance's cluster node, nil without a cluster.
func (in *Instance) Node() *cluster.Node { return in.node.Load() }

// ClusterToken is the join URL of home's cluster: the address its running node listens on
// (or addr when given) with the home's token (made on first use).
func ClusterToken(home, addr string) (string, error) {
	if addr == "" {
		b, err := os.ReadFile(clusterAddrFile(home))
		if err != nil {
			return "", fmt.Errorf("no node of %s listens (start orbital up --cluster-listen HOST:PORT, or pass --addr HOST:PORT)", home)
		}
		addr = strings.TrimSpace(string(b))
	}
	tok, err := cluster.LoadToken(home)
	if err != nil {
		return "", err
	}
	return cluster.JoinURL(addr, tok), nil
}

// clusterHost is the instance as package cluster sees it.
type clusterHost struct{ in *Instance }

func (h clusterHost) Bus() *bus.Bus { return h.in.k.Bus() }

func (h clusterHost) Snapshot() cluster.Announcement {
	in := h.in
	total, free := memInfo()
	a := cluster.Announcement{Cores: runtime.NumCPU(), MemTotal: total, MemFree: free}
	if in.drivers != nil {
		for _, d := range in.drivers.m.List() {
			if d.State == drivers.Running {
				a.Drivers = append(a.Drivers, d.Name)
			}
		}
	}
	if recs, err := in.reg.List(""); err == nil {
		for i, r := range recs {
			if i == 0 || recs[i-1].Name != r.Name {
				a.Modules = append(a.Modules, r.Name)
				if r.Kind == registry.KindService {
					a.Services = append(a.Services, r.Name)
				}
			}
		}
	}
	now := time.Now()
	for _, info := range in.k.List() {
		if info.State.Done() {
			continue
		}
		a.Procs = append(a.Procs, cluster.Proc{PID: uint32(info.PID), Name: info.Name, Version: info.Version,
			State: info.State.String(), Uptime: now.Sub(info.Started).Milliseconds(), Memory: info.Memory})
	}
	if in.sup != nil {
		a.Always = in.sup.always()
	}
	return a
}

func (h clusterHost) ModuleName(pid bus.PID) string {
	if p := h.in.k.Process(pid); p != nil {
		return p.Name()
	}
	return ""
}

func (h clusterHost) Bind(pid bus.PID, module string) error {
	if module == "" {
		module = "cluster-peer" // an unnamed sender gets whatever policy grants that name: nothing by default
	}
	return h.in.k.BindNamespace(pid, module)
}

func (h clusterHost) Unbind(pid bus.PID) { h.in.k.UnbindNamespace(pid) }

// Spawn starts a module for a member of the cluster: only a module whose publisher this home
// trusts; one not installed here (or installed with other bytes) is fetched from the asking
// node first and installed under a remote registry's rules (signed, trusted, digests checked).
func (h clusterHost) Spawn(ctx context.Context, req cluster.SpawnRequest, fetch cluster.Fetcher) (cluster.Started, error) {
	in := h.in
	var none cluster.Started
	if strings.ContainsAny(req.Module, "/\\\x00") || req.Module == "" {
		return none, fmt.Errorf("spawn: %q is not a module name", req.Module)
	}
	if fetch == nil { // this node's own user: any module it can run, as orbital run finds it
		return h.start(req, "user (orbital spawn)")
	}
	rec, err := in.reg.Best(req.Module, "")
	if err != nil || (req.Digest != "" && rec.EntryDigest != req.Digest) {
		rec, err = h.fetch(ctx, req, fetch)
	}
	if err != nil {
		return none, fmt.Errorf("spawn %s: %w", req.Module, err)
	}
	man, err := in.reg.Manifest(rec)
	if err != nil {
		return none, err
	}
	{ // asked by another node: trusted publishers only
		ok, err := in.reg.Trusts(man)
		if err != nil {
			return none, fmt.Errorf("spawn %s: %w", rec.ID(), err)
		}
		if !ok {
			return none, fmt.Errorf("spawn %s: refused: its publisher %q is not trusted by node %s (orbital registry trust KEY there)", rec.ID(), man.Publisher, in.Node().Name())
		}
	}
	if man.Kind == registry.KindLibrary || man.Kind == registry.KindDriver {
		return none, fmt.Errorf("spawn %s: a %s is not started as a process", rec.ID(), man.Kind)
	}
	return h.start(req, "node "+req.From+" (orbital spawn)")
}

// start loads and spawns req's module here, by the user said by. A child of a process of
// another node (req.Child) is bounded by that parent's namespace, which must decode.
func (h clusterHost) start(req cluster.SpawnRequest, by string) (cluster.Started, error) {
	so := kernel.SpawnOptions{Args: req.Args, UI: true}
	if c := req.Child; c != nil {
		so.UI = c.UI
		g, err := policies.DecodeBound(c.Bound) // none, or unreadable: refused, never unbounded
		if err != nil {
			return cluster.Started{}, fmt.Errorf("spawn %s: refused: the bound of its parent on node %s: %w", req.Module, req.From, err)
		}
		so.Bound = g
		by = fmt.Sprintf("node %s pid %d (proc_spawn_at)", req.From, c.Parent)
	}
	m, err := h.in.Load(req.Module)
	if err != nil {
		return cluster.Started{}, err
	}
	p, err := h.in.Spawn(m, so, by)
	if err != nil {
		return cluster.Started{}, err
	}
	k := h.in.k
	return cluster.Started{PID: uint32(p.PID()), Done: p.Done(),
		Exit: func() (int, string) { i := p.Info(); return i.ExitCode, i.Reason },
		Stop: func(force bool) { k.Kill(p.PID(), force) }}, nil
}

func (h clusterHost) fetch(ctx context.Context, req cluster.SpawnRequest, fetch cluster.Fetcher) (*registry.Record, error) {
	data, err := fetch(ctx, req.Module, req.Version)
	if err != nil {
		return nil, err
	}
	return h.in.reg.InstallFromPeer(ctx, data, req.Digest, "node "+req.From)
}

func (h clusterHost) Package(name, version string) ([]byte, error) {
	rng := ""
	if version != "" {
		rng = "=" + version
	}
	rec, err := h.in.reg.Best(name, rng)
	if err != nil {
		return nil, err
	}
	pkg, err := h.in.reg.PackageOf(rec)
	if err != nil {
		return nil, err
	}
	return pkg.Archive()
}

func (h clusterHost) Describe(name string) (string, string) {
	rec, err := h.in.reg.Best(name, "")
	if err != nil {
		return "", ""
	}
	return rec.Version, rec.EntryDigest
}

func (h clusterHost) Failover(ctx context.Context, name string) error {
	if h.in.sup == nil {
		return errors.New("this instance runs no supervisor (orbital up does)")
	}
	_, err := h.in.StartModule(name)
	return err
}

// memInfo reads MemTotal and MemAvailable from /proc/meminfo (bytes); 1 GiB of each when it
// cannot (a node must announce some memory).
func memInfo() (total, free int64) {
	total, free = 1<<30, 1<<30
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "MemTotal":
			total = kb << 10
		case "MemAvailable":
			free = kb << 10
		}
	}
	return total, min(free, total)
}

// always names the units running under restart = "always": what a lost node's peers start
// again elsewhere.
func (s *supervisor) always() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, u := range s.sortedUnitsLocked() {
		if u.restart == "always" && u.state == unitRunning {
			out = append(out, u.name)
		}
	}
	return out
}

// Release stops this node's process of name (one it started by failover) without a restart:
// the lost node is back and runs it itself.
func (h clusterHost) Release(name string) error {
	for _, info := range h.in.k.List() {
		if info.Name == name && !info.State.Done() {
			return h.in.ctl.Stop(uint32(info.PID))
		}
	}
	return nil
}
