package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/storage"
	"github.com/orbital/orbital/system"
)

func init() {
	register(verb{Name: "kv", Usage: "kv [--home DIR] MODULE ls [PREFIX] | get KEY | put KEY VALUE|- | rm KEY",
		Short: "show and edit a module's key-value storage", Run: kvVerb})
}

func kvVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("kv", stderr)
	home := fs.String("home", "", "Orbital home (default $ORBITAL_HOME)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	a := fs.Args()
	req, ok := kvRequest(a)
	if !ok {
		fmt.Fprintln(stderr, "usage: orbital kv [--home DIR] MODULE ls [PREFIX] | get KEY | put KEY VALUE|- | rm KEY")
		return exitUsage
	}
	if req.Op == "put" && len(a) == 4 && a[3] == "-" {
		v, err := io.ReadAll(io.LimitReader(os.Stdin, storage.MaxValue+1))
		if err != nil {
			fmt.Fprintf(stderr, "orbital kv: read the value from stdin: %v\n", err)
			return 1
		}
		req.Value = v
	}
	dir, err := orbitalHome(*home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	rep, err := admin.ControlClient{Path: admin.ControlSocketPath(dir)}.KV(ctx, req)
	if errors.Is(err, admin.ErrNotRunning) {
		rep, err = system.KV(dir, req) // no instance holds the files: open them here
	}
	if err != nil {
		fmt.Fprintf(stderr, "orbital kv %s %s: %v\n", req.Module, req.Op, err)
		if errors.Is(err, admin.ErrNoKey) {
			return 1
		}
		return exitUsage
	}
	switch req.Op {
	case "ls":
		for _, k := range rep.Keys {
			fmt.Fprintln(stdout, k)
		}
		fmt.Fprintf(stderr, "%d key(s); %s stored of a %s quota\n", len(rep.Keys), policies.FormatSize(max(rep.Usage, 0)), quotaText(rep.Quota))
	case "get":
		stdout.Write(rep.Value)
	case "rm":
		if !rep.Found {
			fmt.Fprintf(stderr, "orbital kv: %s has no key %q\n", req.Module, req.Key)
			return 1
		}
	}
	return 0
}

func kvRequest(a []string) (admin.KVRequest, bool) {
	if len(a) < 2 {
		return admin.KVRequest{}, false
	}
	r := admin.KVRequest{Module: moduleName(a[0]), Op: a[1]}
	switch {
	case r.Op == "ls" && len(a) <= 3:
		if len(a) == 3 {
			r.Prefix = a[2]
		}
	case (r.Op == "get" || r.Op == "rm") && len(a) == 3:
		r.Key = a[2]
	case r.Op == "put" && len(a) == 4:
		r.Key, r.Value = a[2], []byte(a[3])
	default:
		return r, false
	}
	return r, true
}

func quotaText(q int64) string {
	if q <= 0 {
		return "no"
	}
	return policies.FormatSize(q)
}
