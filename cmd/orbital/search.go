package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/orbital/orbital/registry"
)

func init() {
	register(verb{
		Name:  "search",
		Usage: "search [--registry URL] [-n N] WORDS...",
		Short: "search installed modules and the remote registries, best match first",
		Run:   searchVerb,
	})
}

func searchVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("search", stderr)
	rf := addRegistryFlags(fs)
	n := fs.Int("n", 20, "at most this many results")
	local := fs.Bool("local", false, "search only the installed modules")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "orbital search: want WORDS; usage: orbital search [-n N] WORDS...")
		return exitUsage
	}
	reg, err := rf.open()
	if err != nil {
		return fail(stderr, "search", err)
	}
	if *local {
		reg.Remotes = nil
	}
	ctx, cancel := signalContext()
	defer cancel()
	q := strings.Join(fs.Args(), " ")
	hits, err := reg.SearchAll(ctx, q, *n, registry.FetchOptions{Retries: -1})
	if err != nil {
		fmt.Fprintf(stderr, "orbital search: %v\n", err) // a remote failing does not hide local hits
	}
	if len(hits) == 0 {
		fmt.Fprintf(stderr, "orbital search: nothing matches %q\n", q)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tKIND\tSCORE\tWHERE\tDESCRIPTION")
	for _, h := range hits {
		where := "installed"
		if h.Remote != "" {
			where = h.Remote
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t%s\n", h.Name, h.Version, h.Kind, h.Score, where, h.Description)
	}
	tw.Flush()
	return 0
}
