package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/system"
)

// The cluster verbs (issue 15): nodes, spawn, cluster token; ps --cluster is in client.go and
// up's flags in instance.go. Logic lives in package cluster and system.

func nodesVerb(c *command, args []string) int {
	asJSON := c.Bool("json", false, "print a JSON list of nodes")
	return c.withClient(args, 0, 0, func(ctx context.Context, cl admin.ControlClient) int {
		nodes, err := cl.Nodes(ctx)
		if err != nil {
			return c.fail(err)
		}
		if *asJSON {
			return c.printJSON(nodes)
		}
		admin.WriteNodes(c.stdout, nodes, time.Now())
		return 0
	})
}

func spawnVerb(c *command, args []string) int {
	node := c.String("node", "", "start it on this node")
	anyNode := c.Bool("any", false, "start it on the node with the most free resources that has what --need asks")
	need := c.String("need", "", "what the node must have: memory=SIZE,cores=N,driver=NAME")
	var rest []string // after --: the module's arguments
	if i := slices.Index(args, "--"); i >= 0 {
		args, rest = args[:i], args[i+1:]
	}
	return c.withClient(args, 1, -1, func(_ context.Context, cl admin.ControlClient) int {
		if *node != "" && *anyNode {
			return c.failf(exitUsage, "--node and --any exclude each other")
		}
		if _, err := system.ParseNeed(*need); err != nil {
			return c.fail(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a fetch and a compile may take a while
		defer cancel()
		mod := c.Arg(0)
		at, pid, err := cl.Spawn(ctx, admin.SpawnRequest{Module: mod, Args: append(c.Args()[1:], rest...), Node: *node, Any: *anyNode, Need: *need})
		switch {
		case err != nil:
			return c.fail(err)
		case at == "":
			fmt.Fprintf(c.stdout, "%s started: pid %d\n", mod, pid)
		default:
			fmt.Fprintf(c.stdout, "%s started on node %s: pid %d\n", mod, at, pid)
		}
		return 0
	})
}

func clusterToken(c *command, args []string) int {
	addr := c.withHome().String("addr", "", "the address others join (default: where this home's running node listens)")
	home, code, ok := c.parseHome(args, 0, 0)
	if !ok {
		return code
	}
	u, err := system.ClusterToken(home, *addr)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintln(c.stdout, u)
	return 0
}
