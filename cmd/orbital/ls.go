package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

func init() {
	register(verb{
		Name:  "ls",
		Usage: "ls [--all] [NAME]",
		Short: "list installed modules (newest version of each; --all for every version)",
		Run:   lsVerb,
	})
}

func lsVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ls", stderr)
	rf := addRegistryFlags(fs)
	all := fs.Bool("all", false, "list every installed version")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	reg, err := rf.open()
	if err != nil {
		return fail(stderr, "ls", err)
	}
	recs, err := reg.List(fs.Arg(0))
	if err != nil {
		return fail(stderr, "ls", err)
	}
	if len(recs) == 0 {
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "orbital ls: %s is not installed\n", fs.Arg(0))
			return 1
		}
		fmt.Fprintln(stderr, "orbital ls: nothing installed yet (orbital install SOURCE)")
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tKIND\tSIGNED\tDESCRIPTION")
	for i, r := range recs {
		if !*all && i > 0 && recs[i-1].Name == r.Name {
			continue
		}
		signed := "no"
		if r.Signed {
			signed = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Version, r.Kind, signed, r.Description)
	}
	tw.Flush()
	return 0
}
