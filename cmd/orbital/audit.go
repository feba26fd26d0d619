package main

import (
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/orbital/orbital/policies"
)

func init() {
	register(verb{
		Name:  "audit",
		Usage: "audit [--home DIR] [--module NAME] [-n N]",
		Short: "print the policy denials of the audit log, newest last",
		Run:   auditVerb,
	})
}

func auditVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("audit", stderr)
	home := fs.String("home", "", "Orbital home (default $ORBITAL_HOME)")
	module := fs.String("module", "", "only denials of this module")
	n := fs.Int("n", 50, "show the last N records (0: all)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "orbital audit: unexpected argument %q; usage: orbital audit [--module NAME] [-n N]\n", fs.Arg(0))
		return exitUsage
	}
	if *n < 0 {
		fmt.Fprintf(stderr, "orbital audit: -n %d: must be 0 or more\n", *n)
		return exitUsage
	}
	dir, err := orbitalHome(*home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return exitUsage
	}
	path := filepath.Join(dir, "audit.log")
	recs, err := policies.ReadAudit(path)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return 1
	}
	if *module != "" {
		kept := recs[:0]
		for _, r := range recs {
			if r.Module == *module {
				kept = append(kept, r)
			}
		}
		recs = kept
	}
	if *n > 0 && len(recs) > *n {
		recs = recs[len(recs)-*n:]
	}
	if len(recs) == 0 {
		fmt.Fprintf(stdout, "no denials recorded in %s\n", path)
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tPID\tMODULE\tOP\tOBJECT\tRULE")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", r.Time.Local().Format("2006-01-02 15:04:05.000"), r.PID, r.Module, r.Op, r.Object, r.Rule)
	}
	tw.Flush()
	return 0
}
