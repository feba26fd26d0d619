package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/orbital/orbital/system"
)

func init() {
	register(verb{
		Name:  "up",
		Usage: "up [--home DIR] [--http ADDR] [--cluster-listen HOST:PORT] [--join nats://TOKEN@HOST:PORT] [--node NAME]",
		Short: "run the home's instance without a desktop until SIGINT/SIGTERM: boot modules and drivers, schedules, triggers, admin panel",
		Run:   upVerb,
	})
}

func upVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("up", stderr)
	homeFlag := fs.String("home", "", "Orbital home (default $ORBITAL_HOME, else ~/.local/share/orbital)")
	var cl system.ClusterConfig
	fs.StringVar(&cl.Listen, "cluster-listen", "", "run an embedded NATS server for the cluster on HOST:PORT")
	fs.StringVar(&cl.Join, "join", "", "join the cluster at nats://TOKEN@HOST:PORT (orbital cluster token prints it)")
	fs.StringVar(&cl.Node, "node", "", "this node's name in the cluster (default the host name)")
	httpAddr := fs.String("http", "127.0.0.1:0", "serve the modules' HTTP routes on this loopback address (\"\": none)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if cl.Node != "" && cl.Listen == "" && cl.Join == "" {
		fmt.Fprintln(stderr, "orbital up: --node names a cluster node: give --cluster-listen HOST:PORT or --join URL too")
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "orbital up: unexpected argument %q; usage: orbital up [--home DIR]\n", fs.Arg(0))
		return exitUsage
	}
	home, err := orbitalHome(*homeFlag)
	if err != nil {
		fmt.Fprintf(stderr, "orbital up: %v\n", err)
		return exitUsage
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	in, err := system.New(system.Config{Home: home, Title: "orbital up", Stdout: stdout, Stderr: stderr,
		Lock: system.LockRequired, Drivers: true, Panel: true, Triggers: true, Cluster: clusterOf(cl), HTTP: *httpAddr})
	if err != nil {
		fmt.Fprintf(stderr, "orbital up: %v\n", err)
		return exitUsage
	}
	if code := startOrbital(in, "orbital up", stderr); code != 0 {
		return code
	}
	if n := in.Node(); n != nil {
		fmt.Fprintf(stderr, "orbital up: node %s of a cluster at %s\n", n.Name(), n.Addr())
	}
	fmt.Fprintf(stderr, "orbital up: running (pid %d, home %s, admin panel %s, http %s); Ctrl-C stops it\n", os.Getpid(), home, in.PanelURL(), in.HTTPURL())
	s := <-sigs
	fmt.Fprintf(stderr, "orbital up: %v: stopping\n", s)
	in.Close()
	return 0
}

// clusterOf is cl when a cluster flag was given.
func clusterOf(cl system.ClusterConfig) *system.ClusterConfig {
	if cl.Listen == "" && cl.Join == "" {
		return nil
	}
	return &cl
}
