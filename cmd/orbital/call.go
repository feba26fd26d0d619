package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/orbital/orbital/admin"
)

func init() {
	register(verb{Name: "call", Usage: "call [--home DIR] [--timeout D] SERVICE.METHOD [PAYLOAD|-]",
		Short: "call a service by name in the running instance and print its reply", Run: callVerb})
}

func callVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("call", stderr)
	home := fs.String("home", "", "Orbital home (default $ORBITAL_HOME)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the reply (at most 25s)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	a := fs.Args()
	if len(a) < 1 || len(a) > 2 {
		fmt.Fprintln(stderr, "usage: orbital call [--home DIR] [--timeout D] SERVICE.METHOD [PAYLOAD|-]")
		return exitUsage
	}
	req := admin.CallRequest{Name: a[0], Timeout: min(*timeout, admin.MaxCallTimeout)}
	if len(a) == 2 {
		req.Payload = []byte(a[1])
		if a[1] == "-" {
			b, err := io.ReadAll(io.LimitReader(os.Stdin, 1<<20+1))
			if err != nil {
				fmt.Fprintf(stderr, "orbital call: read the payload from stdin: %v\n", err)
				return 1
			}
			req.Payload = b
		}
	}
	dir, err := orbitalHome(*home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), req.Timeout+5*time.Second)
	defer cancel()
	rep, err := admin.ControlClient{Path: admin.ControlSocketPath(dir)}.Call(ctx, req)
	switch {
	case errors.Is(err, admin.ErrNotRunning):
		fmt.Fprintf(stderr, "orbital call %s: %v\n", req.Name, err)
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "orbital call %s: %v\n", req.Name, err)
		return 1
	case rep.Failed:
		fmt.Fprintf(stderr, "orbital call %s: the service failed: %s\n", req.Name, rep.Payload)
		return 1
	}
	stdout.Write(rep.Payload)
	return 0
}
