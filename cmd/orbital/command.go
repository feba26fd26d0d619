package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/system"
)

// command is what a verb runs with: its output streams and a flag set that reports errors on
// stderr, never exits the process, and prints the verb's usage line with -h.
type command struct {
	*flag.FlagSet
	name, usage    string // "policy explain", "policy explain [--home DIR] MODULE"
	help           string // printed under the usage line (verb.Help)
	stdout, stderr io.Writer
	home           *string    // --home, once withHome added it
	remotes        *multiFlag // --registry, once withRegistry added it
}

func newCommand(v verb, stdout, stderr io.Writer) *command {
	c := &command{FlagSet: flag.NewFlagSet("orbital "+v.Name, flag.ContinueOnError), name: v.Name, usage: v.Usage,
		help: v.Help, stdout: stdout, stderr: stderr}
	c.SetOutput(stderr)
	c.Usage = func() {
		fmt.Fprintf(stderr, "usage: orbital %s\n", c.usage)
		if c.help != "" {
			fmt.Fprintln(stderr, c.help)
		}
		c.PrintDefaults()
	}
	return c
}

// withHome adds the --home flag.
func (c *command) withHome() *command {
	c.home = c.String("home", "", "Orbital home (default $ORBITAL_HOME, else ~/.local/share/orbital)")
	return c
}

// parse parses args and checks that between min and max (-1: any number) arguments remain. ok
// is false when the verb should end with code: 0 after -h, 2 after a bad flag or a wrong
// number of arguments (with the usage).
func (c *command) parse(args []string, min, max int) (code int, ok bool) {
	if err := c.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return exitUsage, false
	}
	if c.NArg() < min || (max >= 0 && c.NArg() > max) {
		c.Usage()
		return exitUsage, false
	}
	return 0, true
}

// parseHome is parse followed by homeDir.
func (c *command) parseHome(args []string, min, max int) (home string, code int, ok bool) {
	if code, ok := c.parse(args, min, max); !ok {
		return "", code, false
	}
	home, err := c.homeDir()
	if err != nil {
		return "", c.failf(exitUsage, "%v", err), false
	}
	return home, 0, true
}

// homeDir is the Orbital home: --home, else $ORBITAL_HOME, else the XDG data directory.
func (c *command) homeDir() (string, error) {
	flagValue := ""
	if c.home != nil {
		flagValue = *c.home
	}
	return system.Home(flagValue)
}

// failf prints "orbital VERB: message" on stderr and returns code.
func (c *command) failf(code int, format string, a ...any) int {
	fmt.Fprintf(c.stderr, "orbital %s: %s\n", c.name, fmt.Sprintf(format, a...))
	return code
}

// fail prints err and returns 1.
func (c *command) fail(err error) int { return c.failf(1, "%v", err) }

// printJSON prints v as indented JSON.
func (c *command) printJSON(v any) int {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return c.fail(err)
	}
	return 0
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// size adds a byte-size flag ("64MiB", policies.ParseSize); a bad value is a flag error.
func (c *command) size(name string, def int64, usage string) *int64 {
	v := sizeFlag(def)
	c.Var(&v, name, usage)
	return (*int64)(&v)
}

type sizeFlag int64

func (s *sizeFlag) String() string { return policies.FormatSize(int64(*s)) }
func (s *sizeFlag) Set(v string) error {
	n, err := policies.ParseSize(v)
	*s = sizeFlag(n)
	return err
}

// signalContext is cancelled by Ctrl-C or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
