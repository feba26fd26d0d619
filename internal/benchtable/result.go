package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Result is one benchmark's figures, averaged over the lines go test printed for it (one per
// -count).
type Result struct {
	Pkg   string   // import path, from the "pkg:" line before it
	Name  string   // full name without the -GOMAXPROCS suffix, e.g. BenchmarkSpawn/base=raw
	Units []string // the units in the order go test printed them
	Value map[string]float64
	runs  int
}

// Func is the benchmark function's name: the part before the first '/'.
func (r *Result) Func() string {
	f, _, _ := strings.Cut(r.Name, "/")
	return f
}

// Parse reads go test's benchmark output and returns the results in the order they first
// appeared, and the packages go test reported as failed ("FAIL\tpkg" or "--- FAIL" inside pkg).
// procs is the GOMAXPROCS go test ran with: the "-procs" suffix it appends to every name (unless
// it is 1) is removed. Lines that are not benchmark results are skipped.
func Parse(r io.Reader, procs int) (results []*Result, failed []string, err error) {
	suffix := ""
	if procs > 1 {
		suffix = "-" + strconv.Itoa(procs)
	}
	byKey := map[string]*Result{}
	seenFail := map[string]bool{}
	addFail := func(p string) {
		if p != "" && !seenFail[p] {
			seenFail[p] = true
			failed = append(failed, p)
		}
	}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case strings.HasPrefix(text, "pkg: "):
			pkg = strings.TrimSpace(strings.TrimPrefix(text, "pkg: "))
		case strings.HasPrefix(text, "FAIL\t"):
			addFail(strings.Fields(text)[1])
		case strings.HasPrefix(text, "--- FAIL"):
			addFail(pkg)
		case strings.HasPrefix(text, "Benchmark"):
			name, units, vals, ok := parseLine(text)
			if !ok {
				continue
			}
			name = strings.TrimSuffix(name, suffix)
			key := pkg + "\x00" + name
			res := byKey[key]
			if res == nil {
				res = &Result{Pkg: pkg, Name: name, Value: map[string]float64{}}
				byKey[key] = res
				results = append(results, res)
			}
			res.add(units, vals)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("benchtable: reading go test output: %w", err)
	}
	for _, res := range results {
		for u := range res.Value {
			res.Value[u] /= float64(res.runs)
		}
	}
	return results, failed, nil
}

// add accumulates one line's values (Parse divides by runs at the end).
func (r *Result) add(units []string, vals []float64) {
	r.runs++
	for i, u := range units {
		if _, ok := r.Value[u]; !ok {
			r.Units = append(r.Units, u)
		}
		r.Value[u] += vals[i]
	}
}

// parseLine splits "BenchmarkX-2   100   123 ns/op   4.5 fps" into the name and its
// (value, unit) pairs. A line without an iteration count and at least one pair is not a
// result (go test prints the bare name before a benchmark's log output).
func parseLine(text string) (name string, units []string, vals []float64, ok bool) {
	f := strings.Fields(text)
	if len(f) < 4 || len(f)%2 != 0 {
		return "", nil, nil, false
	}
	if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
		return "", nil, nil, false
	}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return "", nil, nil, false
		}
		units = append(units, f[i+1])
		vals = append(vals, v)
	}
	return f[0], units, vals, true
}
