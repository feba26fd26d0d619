package system

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/cluster"
	"github.com/orbital/orbital/policies"
)

// The controller's admin.Cluster: orbital nodes, orbital ps --cluster, orbital spawn and the
// panel's nodes table and node column.

// Nodes lists the cluster's nodes; nil when the instance is not a node.
func (c *controller) Nodes() []admin.Node {
	n := c.in.Node()
	if n == nil {
		return nil
	}
	return n.Nodes()
}

// ClusterProcesses lists every node's processes: this node's from its own table (full rows),
// the others' as they answer (fresh) or announced.
func (c *controller) ClusterProcesses(ctx context.Context, fresh bool) []admin.Proc {
	n := c.in.Node()
	local := c.Processes()
	if n == nil {
		return local
	}
	for i := range local {
		local[i].Node = n.Name()
	}
	var remote []cluster.Proc
	if fresh {
		remote = n.Processes(ctx)
	} else {
		remote = n.Announced()
	}
	now := time.Now()
	for _, p := range remote {
		if p.Node == n.Name() {
			continue
		}
		local = append(local, admin.Proc{Node: p.Node, PID: p.PID, Name: p.Name, Version: p.Version, State: p.State,
			Started: now.Add(-time.Duration(p.Uptime) * time.Millisecond), Memory: p.Memory, Protected: true})
	}
	return local
}

// Spawn places and starts a module (orbital spawn).
// Spawn places and starts a module (orbital spawn); on an instance that is not a node, here
// (placement flags are then an error).
func (c *controller) Spawn(ctx context.Context, req admin.SpawnRequest) (string, uint32, error) {
	need, err := ParseNeed(req.Need)
	if err != nil {
		return "", 0, err
	}
	sr := cluster.SpawnRequest{Module: req.Module, Args: req.Args, Need: need, By: "user (orbital spawn)"}
	n := c.in.Node()
	if n == nil {
		if req.Node != "" || req.Any || req.Need != "" {
			return "", 0, admin.ErrNoCluster
		}
		st, err := clusterHost{c.in}.start(sr, sr.By)
		return "", st.PID, err
	}
	return n.Spawn(ctx, sr, req.Node, req.Any)
}

// ParseNeed reads --need: memory=SIZE,cores=N,driver=NAME (driver may repeat).
func ParseNeed(s string) (cluster.Need, error) {
	var need cluster.Need
	if strings.TrimSpace(s) == "" {
		return need, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || v == "" {
			return need, fmt.Errorf("--need %q: want memory=1GiB,cores=2,driver=camera", s)
		}
		switch k {
		case "memory":
			n, err := policies.ParseSize(v)
			if err != nil {
				return need, fmt.Errorf("--need memory=%s: %w", v, err)
			}
			need.Memory = n
		case "cores":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return need, fmt.Errorf("--need cores=%s: want a whole number from 1", v)
			}
			need.Cores = n
		case "driver":
			need.Drivers = append(need.Drivers, v)
		default:
			return need, fmt.Errorf("--need %s: unknown resource (memory, cores, driver)", k)
		}
	}
	return need, nil
}
