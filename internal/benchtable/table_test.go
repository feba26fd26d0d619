package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func parseSample(t *testing.T) ([]*Result, []string) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	results, failed, err := Parse(f, 2)
	if err != nil {
		t.Fatal(err)
	}
	return results, failed
}

func TestParse(t *testing.T) {
	results, failed := parseSample(t)
	var names []string
	for _, r := range results {
		names = append(names, r.Name)
	}
	want := []string{
		"BenchmarkSend/size=64/base=chan", "BenchmarkSend/size=64/bus",
		"BenchmarkSend/size=4096/base=chan", "BenchmarkSend/size=4096/bus",
		"BenchmarkMatch", "BenchmarkPublish/subs-100",
		"BenchmarkCompose/base=memcpy", "BenchmarkCompose/software", "BenchmarkCompose/gl/window=4",
		"BenchmarkUpload/base=a", "BenchmarkUpload/base=b", "BenchmarkUpload/c",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("names:\n got %q\nwant %q", names, want)
	}
	if !slices.Equal(failed, []string{"github.com/orbital/orbital/compositor", "github.com/orbital/orbital/kernel"}) {
		t.Fatalf("failed = %q", failed)
	}
	sw := results[7]
	if sw.Pkg != "github.com/orbital/orbital/compositor" {
		t.Fatalf("pkg = %q", sw.Pkg)
	}
	// Two runs of the same benchmark are averaged.
	wantVals := map[string]float64{"ns/op": 1100000, "fps": 900, "p99-us": 1000, "B/op": 1024, "allocs/op": 3}
	if !reflect.DeepEqual(sw.Value, wantVals) {
		t.Fatalf("values = %v, want %v", sw.Value, wantVals)
	}
	if !slices.Equal(sw.Units, []string{"ns/op", "fps", "p99-us", "B/op", "allocs/op"}) {
		t.Fatalf("units = %q", sw.Units)
	}
}

func TestParseProcsSuffix(t *testing.T) {
	in := "pkg: p\nBenchmarkA/n-4-4 \t 10 \t 5 ns/op\nBenchmarkB-64 \t 10 \t 5 ns/op\n"
	res, _, err := Parse(strings.NewReader(in), 4)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Name != "BenchmarkA/n-4" || res[1].Name != "BenchmarkB-64" {
		t.Fatalf("names %q %q", res[0].Name, res[1].Name)
	}
	// GOMAXPROCS=1: go test adds no suffix, so nothing is cut.
	res, _, _ = Parse(strings.NewReader(in), 1)
	if res[0].Name != "BenchmarkA/n-4-4" {
		t.Fatalf("procs 1: %q", res[0].Name)
	}
}

func TestParseLineRejects(t *testing.T) {
	for _, line := range []string{
		"BenchmarkX-2",                     // the bare name go test prints before log output
		"BenchmarkX-2 \t 10 \t 5",          // a value without a unit
		"BenchmarkX-2 \t ten \t 5 ns/op",   // no iteration count
		"BenchmarkX-2 \t 10 \t five ns/op", // not a number
		"Benchmarks are fun: 1 2 3",
	} {
		if _, _, _, ok := parseLine(line); ok {
			t.Errorf("parseLine(%q) accepted it", line)
		}
	}
}

func TestBuildPairsBaselines(t *testing.T) {
	results, _ := parseSample(t)
	rows := Build(results)
	byName := map[string]Row{}
	for _, r := range rows {
		byName[r.Name] = r
	}
	for _, tc := range []struct {
		name, base string
		ratios     []string
	}{
		{"BenchmarkSend/size=64/base=chan", "", nil},
		{"BenchmarkSend/size=64/bus", "BenchmarkSend/size=64/base=chan", []string{"time 2.50x"}},
		{"BenchmarkSend/size=4096/bus", "BenchmarkSend/size=4096/base=chan", []string{"time 2.50x", "MB/s 0.40x"}},
		{"BenchmarkMatch", "", nil},
		{"BenchmarkPublish/subs-100", "", nil},
		{"BenchmarkCompose/software", "BenchmarkCompose/base=memcpy", []string{"time 2.75x", "fps 0.36x", "p99-us 8.33x"}},
		// Deeper than the baseline: the function's only baseline still applies.
		{"BenchmarkCompose/gl/window=4", "BenchmarkCompose/base=memcpy", []string{"time 0.50x", "fps 2.00x", "p99-us 0.42x"}},
		// Two baselines and no sibling match: ambiguous, so no ratio.
		{"BenchmarkUpload/c", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := byName[tc.name]
			if !ok {
				t.Fatalf("no row")
			}
			got := ""
			if r.Base != nil {
				got = r.Base.Name
			}
			if got != tc.base || !slices.Equal(r.Ratios, tc.ratios) {
				t.Fatalf("base %q ratios %q, want %q %q", got, r.Ratios, tc.base, tc.ratios)
			}
			if r.IsBase != strings.Contains(tc.name, "base=") {
				t.Fatalf("IsBase = %v", r.IsBase)
			}
		})
	}
}

func TestWriteGolden(t *testing.T) {
	results, _ := parseSample(t)
	var buf bytes.Buffer
	if err := Write(&buf, "github.com/orbital/orbital", Build(results)); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "sample.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if buf.String() != string(want) {
		t.Fatalf("table differs from %s (go test -update rewrites it):\n%s", golden, buf.String())
	}
}

func TestRatio(t *testing.T) {
	for v, want := range map[float64]string{2.5: "2.50", 0.36: "0.36", 0.0023: "0.0023", 5.26e-05: "5.3e-05", 0: "0.00"} {
		if got := ratio(v); got != want {
			t.Errorf("ratio(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{
		123456.7: "123457", 42: "42", 12.34: "12.3", 1.234: "1.23", 0.01234: "0.0123", 0: "0",
	} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}
