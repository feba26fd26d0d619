// Command benchtable runs every benchmark in the repository once and prints one table of the
// results, each compared with its baseline. `make bench` calls it:
//
//	go run ./internal/benchtable [-pkg ./bus/...] [-bench Send] [-benchtime 200ms] [-v] [-- go test flags]
//
// It runs `go test -p 1 -run '^$' -bench . -benchmem -count 1 ./...` (one package at a time, so
// no two benchmark binaries share the machine's cores), parses the standard benchmark
// lines (name, iterations, then value/unit pairs, custom ReportMetric units included) and
// prints: package, benchmark, ns/op, B/op, allocs/op, other figures (fps, p99-us, MB/s, ...),
// baseline and ratio. While go test runs, its per-package "ok"/"FAIL" lines go to stderr (all
// of its output with -v), so a long run shows progress; the table goes to stdout.
//
// Baselines follow the project's convention: a sub-benchmark whose name has an element
// base=<what> is a baseline. Another sub-benchmark's baseline is the one whose name differs
// only in that element (BenchmarkSend/size=64/base=chan for BenchmarkSend/size=64/bus), or
// else the only baseline of the same benchmark function. Ratios are this ÷ baseline for ns/op
// ("time", above 1 is slower) and for each custom figure both report ("fps 0.8x": throughput
// below the baseline's). Results without a baseline show "-".
//
// The exit status is go test's: when a package fails to build or a benchmark fails, the table
// of what did run is still printed, then go test's output and the failed packages on stderr,
// and the status is 1.
//
// Lifecycle and concurrency: a one-shot command; it waits for go test and holds its whole
// output in memory (benchmark output is small). It parses the text itself rather than using
// golang.org/x/perf/benchfmt: the format is a handful of whitespace-separated fields, and the
// repository's go.mod stays free of a dependency used by one tool.
package main
