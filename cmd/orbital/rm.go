package main

import (
	"fmt"
	"io"
	"strings"
)

func init() {
	register(verb{
		Name:  "rm",
		Usage: "rm [--force] NAME[@VERSION]",
		Short: "uninstall a module (every version, or one)",
		Run:   rmVerb,
	})
}

func rmVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("rm", stderr)
	rf := addRegistryFlags(fs)
	force := fs.Bool("force", false, "remove a library even though installed modules need it")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "orbital rm: want NAME[@VERSION]...")
		return exitUsage
	}
	reg, err := rf.open()
	if err != nil {
		return fail(stderr, "rm", err)
	}
	code := 0
	for _, a := range fs.Args() {
		name, version, _ := strings.Cut(strings.TrimPrefix(a, "orbital://"), "@")
		removed, err := reg.Remove(name, version, *force)
		if err != nil {
			code = max(code, fail(stderr, "rm", err))
			continue
		}
		for _, r := range removed {
			fmt.Fprintf(stdout, "removed %s\n", r.ID())
		}
	}
	return code
}
