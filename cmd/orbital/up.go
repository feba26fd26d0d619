package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/orbital/orbital/system"
)

func init() {
	register(verb{
		Name:  "up",
		Usage: "up [--home DIR]",
		Short: "run the home's instance without a desktop until SIGINT/SIGTERM: boot modules and drivers, schedules, triggers, admin panel",
		Run:   upVerb,
	})
}

func upVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("up", stderr)
	homeFlag := fs.String("home", "", "Orbital home (default $ORBITAL_HOME, else ~/.local/share/orbital)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "orbital up: unexpected argument %q; usage: orbital up [--home DIR]\n", fs.Arg(0))
		return exitUsage
	}
	home, err := orbitalHome(*homeFlag)
	if err != nil {
		fmt.Fprintf(stderr, "orbital up: %v\n", err)
		return exitUsage
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	in, err := system.New(system.Config{Home: home, Title: "orbital up", Stdout: stdout, Stderr: stderr,
		Lock: system.LockRequired, Drivers: true, Panel: true, Triggers: true})
	if err != nil {
		fmt.Fprintf(stderr, "orbital up: %v\n", err)
		return exitUsage
	}
	if code := startOrbital(in, "orbital up", stderr); code != 0 {
		return code
	}
	fmt.Fprintf(stderr, "orbital up: running (pid %d, home %s, admin panel %s); Ctrl-C stops it\n", os.Getpid(), home, in.PanelURL())
	s := <-sigs
	fmt.Fprintf(stderr, "orbital up: %v: stopping\n", s)
	in.Close()
	return 0
}
