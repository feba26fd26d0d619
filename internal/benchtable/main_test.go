package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeModule lays out a throwaway Go module with the given files.
func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/m\n\ngo 1.26\n"
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const goodBench = `package good

import "testing"

func BenchmarkSum(b *testing.B) {
	b.Run("base=loop", func(b *testing.B) {
		for b.Loop() {
			s := 0
			for i := range 100 {
				s += i
			}
			_ = s
		}
	})
	b.Run("formula", func(b *testing.B) {
		for b.Loop() {
			_ = 99 * 100 / 2
		}
		b.ReportMetric(42, "fps")
	})
}
`

func TestRunRealGoTest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on a temporary module")
	}
	dir := writeModule(t, map[string]string{"good/good_test.go": goodBench})
	var out, errb bytes.Buffer
	if code := run([]string{"-benchtime", "100x"}, dir, &out, &errb); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	table := out.String()
	for _, want := range []string{"good", "BenchmarkSum/base=loop", "(baseline)", "BenchmarkSum/formula", "42 fps", "base=loop", "time "} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

func TestRunFailsWhenGoTestFails(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on a temporary module")
	}
	dir := writeModule(t, map[string]string{
		"good/good_test.go": goodBench,
		"bad/bad_test.go":   "package bad\n\nimport \"testing\"\n\nfunc BenchmarkBad(b *testing.B) { b.Fatal(\"broken on purpose\") }\n",
	})
	var out, errb bytes.Buffer
	code := run([]string{"-benchtime", "10x"}, dir, &out, &errb)
	if code == 0 {
		t.Fatalf("exit 0 although a benchmark failed\n%s", out.String())
	}
	if !strings.Contains(errb.String(), "example.com/m/bad") || !strings.Contains(errb.String(), "broken on purpose") {
		t.Errorf("stderr does not name the failed package and its output:\n%s", errb.String())
	}
	if !strings.Contains(out.String(), "BenchmarkSum/formula") {
		t.Errorf("the passing package's table is missing:\n%s", out.String())
	}
}
