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

func kvVerb(c *command, args []string) int {
	home, code, ok := c.withHome().parseHome(args, 2, 4)
	if !ok {
		return code
	}
	req, ok := admin.ParseKV(c.Args())
	if !ok {
		c.Usage()
		return exitUsage
	}
	req.Module = system.ModuleName(req.Module)
	if req.Op == "put" && c.Arg(3) == "-" {
		v, err := io.ReadAll(io.LimitReader(os.Stdin, storage.MaxValue+1))
		if err != nil {
			return c.failf(1, "read the value from stdin: %v", err)
		}
		req.Value = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	rep, err := system.KV(ctx, home, req)
	if err != nil {
		fmt.Fprintf(c.stderr, "orbital kv %s %s: %v\n", req.Module, req.Op, err)
		if errors.Is(err, admin.ErrNoKey) {
			return 1
		}
		return exitUsage
	}
	switch req.Op {
	case "ls":
		for _, k := range rep.Keys {
			fmt.Fprintln(c.stdout, k)
		}
		quota := "no"
		if rep.Quota > 0 {
			quota = policies.FormatSize(rep.Quota)
		}
		fmt.Fprintf(c.stderr, "%d key(s); %s stored of a %s quota\n", len(rep.Keys), policies.FormatSize(max(rep.Usage, 0)), quota)
	case "get":
		c.stdout.Write(rep.Value)
	case "rm":
		if !rep.Found {
			return c.failf(1, "%s has no key %q", req.Module, req.Key)
		}
	}
	return 0
}
