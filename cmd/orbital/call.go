package main

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/orbital/orbital/admin"
)

func callVerb(c *command, args []string) int {
	timeout := c.withHome().Duration("timeout", 10*time.Second, "how long to wait for the reply (at most 25s)")
	home, code, ok := c.parseHome(args, 1, 2)
	if !ok {
		return code
	}
	req := admin.CallRequest{Name: c.Arg(0), Timeout: min(*timeout, admin.MaxCallTimeout)}
	if c.NArg() == 2 {
		req.Payload = []byte(c.Arg(1))
		if c.Arg(1) == "-" {
			b, err := io.ReadAll(io.LimitReader(os.Stdin, 1<<20+1))
			if err != nil {
				return c.failf(1, "read the payload from stdin: %v", err)
			}
			req.Payload = b
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), req.Timeout+5*time.Second)
	defer cancel()
	rep, err := admin.ControlClient{Path: admin.ControlSocketPath(home)}.Call(ctx, req)
	c.name += " " + req.Name // errors name the call: orbital call weather.now: ...
	switch {
	case errors.Is(err, admin.ErrNotRunning):
		return c.failf(exitUsage, "%v", err)
	case err != nil:
		return c.fail(err)
	case rep.Failed:
		return c.failf(1, "the service failed: %s", rep.Payload)
	}
	c.stdout.Write(rep.Payload)
	return 0
}
