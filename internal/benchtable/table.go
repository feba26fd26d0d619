package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Row is one line of the table: a result and, unless it is a baseline or has none, the
// baseline it is compared with.
type Row struct {
	*Result
	Base   *Result  // nil: no baseline (or this is one)
	IsBase bool     // the result is itself a base=<what> sub-benchmark
	Ratios []string // "time 1.25x", "fps 0.80x": this ÷ baseline, per shared figure
}

// basePrefix marks a baseline sub-benchmark.
const basePrefix = "base="

// Build pairs every result with its baseline. A baseline is a sub-benchmark named
// base=<what>; a result's baseline is, first, the one whose name is the same except for that
// element (BenchmarkSend/size=64/base=chan is the baseline of BenchmarkSend/size=64/bus), or
// else the only baseline of its benchmark function in its package. When several fit, there is
// no baseline rather than a guessed one. Results keep their order.
func Build(results []*Result) []Row {
	bases := map[string][]*Result{} // pkg + func -> baselines
	for _, r := range results {
		if baseIndex(r.Name) >= 0 {
			k := r.Pkg + "\x00" + r.Func()
			bases[k] = append(bases[k], r)
		}
	}
	rows := make([]Row, 0, len(results))
	for _, r := range results {
		row := Row{Result: r, IsBase: baseIndex(r.Name) >= 0}
		if !row.IsBase {
			row.Base = findBase(r, bases[r.Pkg+"\x00"+r.Func()])
			if row.Base != nil {
				row.Ratios = ratios(r, row.Base)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func baseIndex(name string) int {
	for i, p := range strings.Split(name, "/") {
		if strings.HasPrefix(p, basePrefix) {
			return i
		}
	}
	return -1
}

func findBase(r *Result, cands []*Result) *Result {
	parts := strings.Split(r.Name, "/")
	var siblings []*Result
	for _, b := range cands {
		bp := strings.Split(b.Name, "/")
		i := baseIndex(b.Name)
		if len(bp) == len(parts) && slices.Equal(bp[:i], parts[:i]) && slices.Equal(bp[i+1:], parts[i+1:]) {
			siblings = append(siblings, b)
		}
	}
	switch {
	case len(siblings) == 1:
		return siblings[0]
	case len(siblings) == 0 && len(cands) == 1:
		return cands[0]
	}
	return nil // several baselines fit: ambiguous, so no ratio rather than a wrong one
}

// ratios compares r with its baseline b: time is ns/op ÷ baseline ns/op (above 1 is slower);
// every other figure both report, except memory, is figure ÷ baseline figure (for fps or MB/s,
// above 1 is faster; for a latency such as p99-us, above 1 is slower).
func ratios(r, b *Result) []string {
	var out []string
	for _, u := range r.Units {
		if u == "B/op" || u == "allocs/op" {
			continue
		}
		bv, ok := b.Value[u]
		if !ok || bv == 0 {
			continue
		}
		label := u
		if u == "ns/op" {
			label = "time"
		}
		out = append(out, label+" "+ratio(r.Value[u]/bv)+"x")
	}
	return out
}

// Write prints rows as one aligned table: package, benchmark, ns/op, B/op, allocs/op, the
// other figures, baseline, ratio.
func Write(w io.Writer, module string, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "package\tbenchmark\tns/op\tB/op\tallocs/op\tmetrics\tbaseline\tratio")
	for _, r := range rows {
		pkg := strings.TrimPrefix(strings.TrimPrefix(r.Pkg, module), "/")
		if pkg == "" {
			pkg = "."
		}
		var extra []string
		for _, u := range r.Units {
			switch u {
			case "ns/op", "B/op", "allocs/op":
			default:
				extra = append(extra, num(r.Value[u])+" "+u)
			}
		}
		base, ratio := "-", "-"
		switch {
		case r.IsBase:
			ratio = "(baseline)"
		case r.Base != nil:
			base = strings.Split(r.Base.Name, "/")[baseIndex(r.Base.Name)]
			ratio = strings.Join(r.Ratios, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", pkg, r.Name, fig(r.Result, "ns/op"), fig(r.Result, "B/op"),
			fig(r.Result, "allocs/op"), orDash(strings.Join(extra, ", ")), base, orDash(ratio))
	}
	return tw.Flush()
}

// ratio prints a ratio with two decimals, or two significant digits below 0.1 so that a
// 1000-fold speed-up does not print as 0.00.
func ratio(v float64) string {
	if v != 0 && v < 0.1 && v > -0.1 {
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func fig(r *Result, unit string) string {
	v, ok := r.Value[unit]
	if !ok {
		return "-"
	}
	return num(v)
}

// num prints a figure with about three significant digits, without exponents.
func num(v float64) string {
	a := v
	if a < 0 {
		a = -a
	}
	switch {
	case a >= 100 || a == float64(int64(a)):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
