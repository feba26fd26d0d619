package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/system"
)

// The cluster verbs (issue 15): nodes, spawn, cluster token; ps --cluster is in admin_verbs.go
// and up's flags in up.go. Logic lives in package cluster and system.

func init() {
	register(verb{Name: "nodes", Usage: "nodes [--json] [--home DIR]", Short: "list the nodes of the running instance's cluster: state, address, uptime, cores, memory, processes", Run: nodesVerb})
	register(verb{Name: "spawn", Usage: "spawn [--node NAME | --any] [--need memory=1GiB,cores=2,driver=camera] [--home DIR] MODULE [-- ARGS]", Short: "start a module in the running instance or, placed by resources, on a node of its cluster", Run: spawnVerb})
	register(verb{Name: "cluster", Usage: "cluster token [--addr HOST:PORT] [--home DIR]", Short: "print the URL, credential included, that orbital up --join takes", Run: clusterVerb})
}

func nodesVerb(args []string, stdout, stderr io.Writer) int {
	var asJSON *bool
	extra := func(fs *flag.FlagSet) { asJSON = fs.Bool("json", false, "print a JSON list of nodes") }
	return clientVerb("nodes", args, stderr, extra, func(ctx context.Context, c admin.ControlClient, _ *flag.FlagSet) int {
		nodes, err := c.Nodes(ctx)
		if err != nil {
			return failed(stderr, "nodes", err)
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			enc.Encode(nodes)
			return 0
		}
		admin.WriteNodes(stdout, nodes, time.Now())
		return 0
	})
}

func spawnVerb(args []string, stdout, stderr io.Writer) int {
	var node, need *string
	var anyNode *bool
	extra := func(fs *flag.FlagSet) {
		node = fs.String("node", "", "start it on this node")
		anyNode = fs.Bool("any", false, "start it on the node with the most free resources that has what --need asks")
		need = fs.String("need", "", "what the node must have: memory=SIZE,cores=N,driver=NAME")
	}
	return clientVerb("spawn", args, stderr, extra, func(_ context.Context, c admin.ControlClient, fs *flag.FlagSet) int {
		if fs.NArg() < 1 {
			fmt.Fprintln(stderr, "orbital spawn: name the module; usage: orbital spawn [--node NAME | --any] [--need ...] MODULE [-- ARGS]")
			return exitUsage
		}
		if *node != "" && *anyNode {
			fmt.Fprintln(stderr, "orbital spawn: --node and --any exclude each other")
			return exitUsage
		}
		if _, err := system.ParseNeed(*need); err != nil {
			return failed(stderr, "spawn", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a fetch and a compile may take a while
		defer cancel()
		rest := fs.Args()[1:]
		if len(rest) > 0 && rest[0] == "--" {
			rest = rest[1:]
		}
		at, pid, err := c.Spawn(ctx, admin.SpawnRequest{Module: fs.Arg(0), Args: rest, Node: *node, Any: *anyNode, Need: *need})
		if err != nil {
			return failed(stderr, "spawn", err)
		}
		if at == "" {
			fmt.Fprintf(stdout, "%s started: pid %d\n", fs.Arg(0), pid)
		} else {
			fmt.Fprintf(stdout, "%s started on node %s: pid %d\n", fs.Arg(0), at, pid)
		}
		return 0
	})
}

func clusterVerb(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "token" {
		fmt.Fprintln(stderr, "orbital cluster: usage: orbital cluster token [--addr HOST:PORT] [--home DIR]")
		return exitUsage
	}
	fs := newFlagSet("cluster token", stderr)
	homeFlag := fs.String("home", "", "Orbital home (default $ORBITAL_HOME)")
	addr := fs.String("addr", "", "the address others join (default: where this home's running node listens)")
	if code, ok := parseFlags(fs, args[1:]); !ok {
		return code
	}
	home, err := orbitalHome(*homeFlag)
	if err != nil {
		return failed(stderr, "cluster token", err)
	}
	u, err := system.ClusterToken(home, *addr)
	if err != nil {
		return failed(stderr, "cluster token", err)
	}
	fmt.Fprintln(stdout, u)
	return 0
}
