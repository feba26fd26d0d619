package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/orbital/orbital/drivers"
	"github.com/orbital/orbital/registry"
	"github.com/orbital/orbital/system"
)

// orbital drivers: the installed driver packages and the drivers running orbital processes
// supervise (system starts the boot drivers).

func init() {
	register(verb{
		Name:  "drivers",
		Usage: "drivers [--home DIR]",
		Short: "list installed native drivers and the drivers running orbital processes supervise",
		Run:   driversVerb,
	})
}

func driversVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("drivers", stderr)
	homeFlag := fs.String("home", "", "Orbital home (default $ORBITAL_HOME, else ~/.local/share/orbital)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "orbital drivers: unexpected argument %q; usage: orbital drivers [--home DIR]\n", fs.Arg(0))
		return exitUsage
	}
	home, err := orbitalHome(*homeFlag)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return exitUsage
	}
	reg, err := registry.Open(home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return 1
	}
	list, err := system.InstalledDrivers(reg)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "installed drivers:")
	if len(list) == 0 {
		fmt.Fprintln(stdout, "  none (install a driver package with `orbital install DIR|FILE|URL`)")
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if len(list) > 0 {
		fmt.Fprintln(tw, "  NAME\tVERSION\tBOOT\tRESTART\tDIGEST\tSTATUS")
	}
	for _, d := range list {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%.19s\t%s\n", d.Rec.Name, d.Rec.Version, d.Boot(), d.Restart(), d.Rec.EntryDigest, d.Status())
	}
	tw.Flush()
	running := system.RunningDrivers(home)
	fmt.Fprintln(stdout, "\nrunning drivers:")
	if len(running) == 0 {
		fmt.Fprintln(stdout, "  none (drivers run inside `orbital run` and `orbital shell`)")
		return 0
	}
	pids := make([]int, 0, len(running))
	for p := range running {
		pids = append(pids, p)
	}
	sort.Ints(pids)
	for _, p := range pids {
		fmt.Fprintf(stdout, "  in orbital process %d:\n", p)
		drivers.WriteList(stdout, running[p])
	}
	return 0
}
