package main

import (
	"fmt"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/orbital/orbital/drivers"
	"github.com/orbital/orbital/system"
)

// orbital drivers: the installed driver packages and the drivers running orbital processes
// supervise (system starts the boot drivers).
func driversVerb(c *command, args []string) int {
	home, code, ok := c.withHome().parseHome(args, 0, 0)
	if !ok {
		return code
	}
	list, err := system.InstalledDriversOf(home)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintln(c.stdout, "installed drivers:")
	if len(list) == 0 {
		fmt.Fprintln(c.stdout, "  none (install a driver package with `orbital install DIR|FILE|URL`)")
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	if len(list) > 0 {
		fmt.Fprintln(tw, "  NAME\tVERSION\tBOOT\tRESTART\tDIGEST\tSTATUS")
	}
	for _, d := range list {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%.19s\t%s\n", d.Rec.Name, d.Rec.Version, d.Boot(), d.Restart(), d.Rec.EntryDigest, d.Status())
	}
	tw.Flush()
	running := system.RunningDrivers(home)
	fmt.Fprintln(c.stdout, "\nrunning drivers:")
	if len(running) == 0 {
		fmt.Fprintln(c.stdout, "  none (drivers run inside `orbital run` and `orbital shell`)")
	}
	for _, p := range slices.Sorted(maps.Keys(running)) {
		fmt.Fprintf(c.stdout, "  in orbital process %d:\n", p)
		drivers.WriteList(c.stdout, running[p])
	}
	return 0
}
