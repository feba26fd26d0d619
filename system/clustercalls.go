package system

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/cluster"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
)

// Calls by name across the cluster (docs/design/cluster.md). Local instances first: a service
// installed on this node is this node's dispatcher's (started on demand here); only one that
// is not installed here goes to another node that has it, which NATS picks from the queue
// group of the nodes that have it installed.

// clusterCalls wraps the instance's dispatcher of calls.
type clusterCalls struct {
	in    *Instance
	local kernel.Services
}

func (c clusterCalls) Call(ctx context.Context, sc kernel.ServiceCall) (bus.Message, error) {
	rep, err := c.local.Call(ctx, sc)
	n := c.in.Node()
	if n == nil || !errors.Is(err, kernel.ErrNoService) {
		return rep, err
	}
	rep, err = n.CallRemote(ctx, sc.From, sc.Service, sc.Method, sc.Payload, sc.Regions, sc.Timeout)
	return rep, fromCluster(sc, err)
}

// fromCluster turns a remote call's error into the kernel's (the ABI codes of docs/abi.md).
func fromCluster(sc kernel.ServiceCall, err error) error {
	var sf *cluster.ServiceFailed
	switch {
	case err == nil:
		return nil
	case errors.As(err, &sf):
		return &kernel.ServiceError{Service: sc.Service, Method: sc.Method, Msg: sf.Msg}
	case errors.Is(err, cluster.ErrNoService):
		return errors.Join(kernel.ErrNoService, err)
	case errors.Is(err, cluster.ErrServiceCrashed):
		return errors.Join(kernel.ErrServiceCrashed, err)
	}
	return err
}

// serveCalls answers other nodes' calls with this node's dispatcher, after this node's policy
// for the caller's module: its [bus] call grant must name the service here too.
func (in *Instance) serveCalls(n *cluster.Node) {
	n.ServeCalls(func(ctx context.Context, c cluster.Call) (bus.Message, error) {
		if ns := in.k.Namespace(c.From); ns != nil {
			if err := ns.Check(policies.OpCall, c.Service); err != nil {
				return bus.Message{}, errors.Join(bus.ErrDenied, err)
			}
		}
		rep, err := in.svc.Call(ctx, kernel.ServiceCall{From: c.From, Service: c.Service, Method: c.Method,
			Payload: c.Payload, Regions: c.Regions, Timeout: c.Timeout})
		return rep, toCluster(err)
	})
}

// toCluster turns this node's dispatcher's error into one the calling node understands.
func toCluster(err error) error {
	var se *kernel.ServiceError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return &cluster.ServiceFailed{Msg: se.Msg}
	case errors.Is(err, kernel.ErrNoService):
		return errors.Join(cluster.ErrNoService, err)
	case errors.Is(err, kernel.ErrServiceCrashed):
		return errors.Join(cluster.ErrServiceCrashed, err)
	}
	return err
}

// clusterDoor is the kernel's Config.Cluster: proc_spawn_at and node_pid over the node.
type clusterDoor struct{ in *Instance }

func (d clusterDoor) node() (*cluster.Node, error) {
	n := d.in.Node()
	if n == nil {
		return nil, fmt.Errorf("%w: this instance is not a node of a cluster", bus.ErrNotFound)
	}
	return n, nil
}

// Place reads "node=NAME;any;need=..." and returns the node ("" for this one).
func (d clusterDoor) Place(place string) (string, error) {
	var node, need string
	any := false
	for _, part := range strings.Split(place, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "":
		case "node":
			node = v
		case "any":
			any = true
		case "need":
			need = v
		default:
			return "", fmt.Errorf("%w: placement %q: want node=NAME, any, need=...", bus.ErrInvalid, place)
		}
	}
	nd, err := ParseNeed(need)
	if err != nil {
		return "", errors.Join(bus.ErrInvalid, err)
	}
	if node == "" && !any && need == "" {
		return "", nil // no placement: here, as proc_spawn
	}
	n, err := d.node()
	if err != nil {
		return "", err
	}
	at, err := n.Place(nd, node, any)
	if err != nil {
		return "", errors.Join(bus.ErrNotFound, err)
	}
	if at == n.Name() {
		return "", nil
	}
	return at, nil
}

// SpawnOn starts a child of a local process on another node, with the parent's namespace as
// its bound (nil only when the kernel checks no policy).
func (d clusterDoor) SpawnOn(ctx context.Context, req kernel.RemoteSpawn) (kernel.RemoteChild, error) {
	n, err := d.node()
	if err != nil {
		return nil, err
	}
	if req.Bound == nil { // a kernel that checks no policy has nothing to bound the child by
		return nil, fmt.Errorf("%w: a child on another node needs its parent's namespace, and this kernel checks no policy", bus.ErrDenied)
	}
	spec := &cluster.ChildSpec{Parent: uint32(req.Parent), UI: req.UI}
	if spec.Bound, err = policies.EncodeBound(req.Bound); err != nil {
		return nil, err
	}
	c, err := n.SpawnChild(ctx, cluster.SpawnRequest{Module: req.Name, Args: req.Args, By: "pid " + req.Parent.String(), Child: spec}, req.Node)
	if err != nil {
		return nil, errors.Join(kernel.ErrNoModule, err)
	}
	return c, nil
}

func (d clusterDoor) Address(node string, pid uint32) (bus.PID, error) {
	n, err := d.node()
	if err != nil {
		return 0, err
	}
	return n.Address(node, pid)
}
