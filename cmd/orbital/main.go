// Command orbital is the Orbital desktop microkernel: it runs WASM modules, opens the shell,
// manages the registry and policies, and talks to a running instance.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/orbital/orbital/system"
)

// verb is one CLI subcommand. Each verb lives in its own file and registers itself in init.
type verb struct {
	Name  string
	Usage string // one line: "run [flags] TARGET [-- args...]"
	Short string // one line description for the help listing
	// Run executes the verb. args excludes the verb name. It returns the process exit code.
	Run func(args []string, stdout, stderr io.Writer) int
}

var verbs = map[string]verb{}

func register(v verb) {
	if _, dup := verbs[v.Name]; dup {
		panic("orbital: verb registered twice: " + v.Name)
	}
	verbs[v.Name] = v
}

// exitUsage is the exit code for bad input: a missing file, a bad flag, a corrupt module.
const exitUsage = 2

// defaultVerb runs when orbital is started without a verb: the shell.
var defaultVerb = "shell"

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			usage(stdout)
			return 0
		}
		v, ok := verbs[defaultVerb]
		if !ok {
			usage(stderr)
			return exitUsage
		}
		return v.Run(args, stdout, stderr)
	}
	if args[0] == "help" {
		usage(stdout)
		return 0
	}
	v, ok := verbs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "orbital: unknown command %q; run 'orbital help' for the list\n", args[0])
		return exitUsage
	}
	return v.Run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: orbital [command] [flags]")
	fmt.Fprintln(w, "\nWith no command, orbital opens the shell.\n\ncommands:")
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-40s %s\n", verbs[n].Usage, verbs[n].Short)
	}
}

// newFlagSet returns a FlagSet for a verb that reports errors on stderr and never exits the
// process itself.
func newFlagSet(v string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("orbital "+v, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and maps -h and flag errors onto exit codes.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return exitUsage, false
	}
	return 0, true
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// orbitalHome is the Orbital home: --home, else $ORBITAL_HOME, else the XDG data directory.
func orbitalHome(flagValue string) (string, error) { return system.Home(flagValue) }
