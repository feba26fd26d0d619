package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], "", os.Stdout, os.Stderr))
}

// run is main with its inputs made explicit: dir is where go test runs ("" for the current
// directory). It returns the exit status.
func run(args []string, dir string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pkg := fs.String("pkg", "./...", "package pattern(s) to benchmark, space-separated")
	bench := fs.String("bench", ".", "regexp of the benchmarks to run (go test -bench)")
	benchtime := fs.String("benchtime", "", "go test -benchtime (default: go test's own, 1s)")
	verbose := fs.Bool("v", false, "stream go test's output to stderr while it runs")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./internal/benchtable [flags] [-- go test flags]")
		fmt.Fprintln(stderr, "Runs every benchmark once and prints one table with ratios to the base=<what> baselines.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// -p 1: one package's benchmarks at a time. go test's default runs GOMAXPROCS test binaries
	// at once, and on a 2-core machine the kernel's benchmarks then shared the CPUs with the
	// compositor's or the cluster's: a library call measured 2.2x its baseline in make bench
	// and 1.04x alone. A -p after "--" overrides it (the later flag wins).
	goArgs := []string{"test", "-p", "1", "-run", "^$", "-bench", *bench, "-benchmem", "-count", "1"}
	if *benchtime != "" {
		goArgs = append(goArgs, "-benchtime", *benchtime)
	}
	goArgs = append(goArgs, fs.Args()...) // passthrough after "--"
	goArgs = append(goArgs, strings.Fields(*pkg)...)

	out := &progress{all: *verbose, w: stderr}
	cmd := exec.Command("go", goArgs...)
	cmd.Dir = dir
	cmd.Stdout = out // one writer for both: exec serialises their writes
	cmd.Stderr = out
	fmt.Fprintf(stderr, "benchtable: go %s\n", strings.Join(goArgs, " "))
	runErr := cmd.Run()
	var exit *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exit) {
		fmt.Fprintf(stderr, "benchtable: cannot run go test: %v\n", runErr)
		return 1
	}

	results, failed, err := Parse(bytes.NewReader(out.kept.Bytes()), runtime.GOMAXPROCS(0))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if len(results) == 0 {
		fmt.Fprintln(stdout, "no benchmarks ran")
	} else if err := Write(stdout, modulePath(dir), Build(results)); err != nil {
		fmt.Fprintf(stderr, "benchtable: %v\n", err)
		return 1
	}
	if runErr != nil {
		if !*verbose {
			stderr.Write(out.kept.Bytes())
		}
		fmt.Fprintf(stderr, "benchtable: go test failed (%v)", runErr)
		if len(failed) > 0 {
			fmt.Fprintf(stderr, " in %s", strings.Join(failed, ", "))
		}
		fmt.Fprintln(stderr, "; its output is above")
		return 1
	}
	return 0
}

// modulePath is the main module's path, trimmed from package names in the table.
func modulePath(dir string) string {
	cmd := exec.Command("go", "list", "-m")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
