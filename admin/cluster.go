package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orbital/orbital/cluster"
)

// Node is one node of a cluster as `orbital nodes` and the panel's nodes table show it: the
// cluster package's own row, one schema for the CLI, the socket and the page.
type Node = cluster.NodeInfo

// SpawnRequest is `orbital spawn [--node NAME | --any] [--need ...] MODULE [-- ARGS]`.
type SpawnRequest struct {
	Module string   `json:"module"`
	Args   []string `json:"args,omitempty"`
	Node   string   `json:"node,omitempty"`
	Any    bool     `json:"any,omitempty"`
	Need   string   `json:"need,omitempty"` // memory=1GiB,cores=2,driver=camera
}

// Cluster is what a Controller offers when its instance is a node of a cluster: the nodes,
// every node's processes, and spawn with placement.
type Cluster interface {
	Nodes() []Node
	// ClusterProcesses lists every node's processes (Proc.Node set); fresh asks each node,
	// otherwise the rows come from the nodes' last announcements (the panel, every second).
	ClusterProcesses(ctx context.Context, fresh bool) []Proc
	Spawn(ctx context.Context, req SpawnRequest) (node string, pid uint32, err error)
}

// ErrNoCluster is the answer of an instance that is not a node of a cluster.
var ErrNoCluster = errors.New("this instance is not a node of a cluster (orbital up --cluster-listen HOST:PORT or --join URL)")

func clusterOf(ctl Controller) (Cluster, error) {
	if c, ok := capability[Cluster](ctl); ok && c.Nodes() != nil {
		return c, nil
	}
	return nil, ErrNoCluster
}

// handleCluster answers the control socket's nodes, cps (ps --cluster) and spawn. A spawn
// without placement works on an instance that is not a node too.
func handleCluster(ctl Controller, req controlRequest, rep *controlReply) error {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	if req.Op == "spawn" {
		if req.Spawn == nil {
			return errors.New("spawn: no request")
		}
		c, ok := capability[Cluster](ctl)
		if !ok {
			return ErrNoCluster
		}
		var err error
		rep.Node, rep.PID, err = c.Spawn(ctx, *req.Spawn)
		return err
	}
	c, err := clusterOf(ctl)
	if err != nil {
		return err
	}
	switch req.Op {
	case "nodes":
		rep.Nodes = c.Nodes()
	case "cps":
		rep.Procs = c.ClusterProcesses(ctx, true)
	}
	return nil
}

// Nodes asks the instance for the nodes of its cluster.
func (c ControlClient) Nodes(ctx context.Context) ([]Node, error) {
	rep, err := c.call(ctx, controlRequest{Op: "nodes"})
	return rep.Nodes, err
}

// ClusterProcesses asks for every node's processes.
func (c ControlClient) ClusterProcesses(ctx context.Context) ([]Proc, error) {
	rep, err := c.call(ctx, controlRequest{Op: "cps"})
	return rep.Procs, err
}

// Spawn asks the instance to start a module, on the node placement picks.
func (c ControlClient) Spawn(ctx context.Context, req SpawnRequest) (string, uint32, error) {
	rep, err := c.call(ctx, controlRequest{Op: "spawn", Spawn: &req})
	return rep.Node, rep.PID, err
}

// WriteNodes prints the table of `orbital nodes`, by name.
func WriteNodes(w io.Writer, nodes []Node, now time.Time) error {
	sorted := append([]Node(nil), nodes...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tADDRESS\tUPTIME\tCORES\tMEMORY FREE\tPROCESSES\tDRIVERS\tLAST SEEN")
	for _, n := range sorted {
		name := n.Name
		if n.Self {
			name += " *"
		}
		up := "-"
		if n.State == "up" {
			up = FormatDuration(time.Duration(n.Uptime) * time.Millisecond)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s/%s\t%d\t%s\t%s\n", name, n.State, n.Addr, up, n.Cores,
			FormatBytes(n.MemFree), FormatBytes(n.MemTotal), n.Procs, dash(strings.Join(n.Drivers, ",")), when(n.LastSeen, now))
	}
	return tw.Flush()
}

func (s *Server) apiNodes(w http.ResponseWriter, r *http.Request) {
	c, err := clusterOf(s.ctl)
	if err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"now": s.now(), "nodes": c.Nodes()})
}

// processes is api/ps: this instance's rows and, with ?cluster=1 on a node, the other nodes'
// (from their announcements; protected: the panel acts on its own node only).
func (s *Server) processes(r *http.Request) []Proc {
	procs := s.ctl.Processes()
	if r.URL.Query().Get("cluster") == "" {
		return procs
	}
	c, err := clusterOf(s.ctl)
	if err != nil {
		return procs
	}
	self := ""
	for _, n := range c.Nodes() {
		if n.Self {
			self = n.Name
		}
	}
	for i := range procs {
		procs[i].Node = self
	}
	for _, p := range c.ClusterProcesses(r.Context(), false) {
		if p.Node != self {
			p.Protected = true
			procs = append(procs, p)
		}
	}
	return procs
}

// WriteClusterTable prints `orbital ps --cluster`: every node's processes, by node then pid.
func WriteClusterTable(w io.Writer, procs []Proc, now time.Time) error {
	sorted := append([]Proc(nil), procs...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Node != sorted[j].Node {
			return sorted[i].Node < sorted[j].Node
		}
		return sorted[i].PID < sorted[j].PID
	})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tPID\tNAME\tVERSION\tSTATE\tUPTIME\tMEM")
	for _, p := range sorted {
		up := FormatDuration(p.Uptime(now))
		if p.State == "lost" {
			up = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", dash(p.Node), p.PID, p.Name, dash(p.Version), p.State, up, FormatBytes(p.Memory))
	}
	return tw.Flush()
}
