package main

import (
	"fmt"
	"io"

	"github.com/orbital/orbital/registry"
)

func init() {
	register(verb{
		Name:  "pack",
		Usage: "pack [-o OUT] DIR",
		Short: "build a package (.tar.gz) from a module directory (module.toml + entry .wasm + files)",
		Run:   packVerb,
	})
}

func packVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("pack", stderr)
	out := fs.String("o", "", "output file (default NAME-VERSION.tar.gz in the current directory)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "orbital pack: want one module DIR; usage: orbital pack [-o OUT] DIR")
		return exitUsage
	}
	pkg, err := registry.PackDir(fs.Arg(0))
	if err != nil {
		return fail(stderr, "pack", err)
	}
	dst := *out
	if dst == "" {
		dst = pkg.Manifest.Name + "-" + pkg.Manifest.Version + ".tar.gz"
	}
	if err := registry.WriteArchive(pkg, dst); err != nil {
		return fail(stderr, "pack", err)
	}
	fmt.Fprintf(stdout, "packed %s (%s, entry %s, %d extra files) -> %s\n", pkg.Manifest.ID(), pkg.Manifest.Kind, pkg.Manifest.EntryDigest, len(pkg.Files), dst)
	return 0
}
