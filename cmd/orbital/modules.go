package main

import (
	"cmp"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/orbital/orbital/registry"
)

// The verbs over the installed modules: orbital ls, info, rm and search.

func lsVerb(c *command, args []string) int {
	all := c.withRegistry().Bool("all", false, "list every installed version")
	reg, code, ok := c.parseRegistry(args, 0, -1)
	if !ok {
		return code
	}
	recs, err := reg.List(c.Arg(0))
	switch {
	case err != nil:
		return c.regFail(err)
	case len(recs) == 0 && c.NArg() > 0:
		return c.failf(1, "%s is not installed", c.Arg(0))
	case len(recs) == 0:
		return c.failf(0, "nothing installed yet (orbital install SOURCE)")
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tKIND\tSIGNED\tDESCRIPTION")
	for i, r := range recs {
		if *all || i == 0 || recs[i-1].Name != r.Name {
			signed := "no"
			if r.Signed {
				signed = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Version, r.Kind, signed, r.Description)
		}
	}
	tw.Flush()
	return 0
}

func rmVerb(c *command, args []string) int {
	force := c.withRegistry().Bool("force", false, "remove a library even though installed modules need it")
	reg, code, ok := c.parseRegistry(args, 1, -1)
	if !ok {
		return code
	}
	for _, a := range c.Args() {
		name, version, _ := strings.Cut(strings.TrimPrefix(a, "orbital://"), "@")
		removed, err := reg.Remove(name, version, *force)
		if err != nil {
			code = max(code, c.regFail(err))
			continue
		}
		for _, r := range removed {
			fmt.Fprintf(c.stdout, "removed %s\n", r.ID())
		}
	}
	return code
}

func searchVerb(c *command, args []string) int {
	n := c.withRegistry().Int("n", 20, "at most this many results")
	local := c.Bool("local", false, "search only the installed modules")
	reg, code, ok := c.parseRegistry(args, 1, -1)
	if !ok {
		return code
	}
	if *local {
		reg.Remotes = nil
	}
	ctx, cancel := signalContext()
	defer cancel()
	q := strings.Join(c.Args(), " ")
	hits, err := reg.SearchAll(ctx, q, *n, registry.FetchOptions{Retries: -1})
	if err != nil {
		c.fail(err) // a remote failing does not hide local hits
	}
	if len(hits) == 0 {
		return c.failf(1, "nothing matches %q", q)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tKIND\tSCORE\tWHERE\tDESCRIPTION")
	for _, h := range hits {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t%s\n", h.Name, h.Version, h.Kind, h.Score, cmp.Or(h.Remote, "installed"), h.Description)
	}
	tw.Flush()
	return 0
}

func infoVerb(c *command, args []string) int {
	reg, code, ok := c.withRegistry().parseRegistry(args, 1, 1)
	if !ok {
		return code
	}
	ref := registry.ParseRef(c.Arg(0))
	rec, err := reg.Best(ref.Name, ref.Range)
	if err != nil {
		return c.regFail(err)
	}
	facts, err := reg.Facts(rec)
	if err != nil {
		return c.regFail(err)
	}
	for _, f := range facts {
		if f.Block {
			fmt.Fprintf(c.stdout, "%s:\n  %s\n", f.Key, strings.ReplaceAll(f.Value, "\n", "\n  "))
		} else {
			fmt.Fprintf(c.stdout, "%-13s %s\n", f.Key+":", f.Value)
		}
	}
	return 0
}
