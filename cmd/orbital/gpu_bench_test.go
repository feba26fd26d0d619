package main

import (
	"regexp"
	"strconv"
	"testing"
)

// BenchmarkBlur1280x720 is the gpublur demo's box blur (radius 4) of a 1280x720 picture, timed
// inside the module by the real binary: on the GPU (the picture in a region, bound as an image
// to a compute shader by the GPU driver, the result written into another region) against the
// same blur in Go compiled to WebAssembly, in the module's memory (base=cpu-wasm). ns/op is one
// blur; starting the instance and the drivers is not counted. On llvmpipe the "GPU" is the CPU
// too (docs/design/gpu.md).
func BenchmarkBlur1280x720(b *testing.B) {
	home := gpuHome(b, false)
	for _, on := range []string{"cpu", "gpu"} {
		name := on
		if on == "cpu" {
			name = "base=cpu-wasm"
		}
		b.Run(name, func(b *testing.B) {
			n := max(b.N, 8)
			out, errOut, code := cli(b, "run", "--home", home, "gpublur", "--", "--bench", strconv.Itoa(n), "--on", on, "--size", "1280x720")
			m := regexp.MustCompile(on + ` (\d+) ns/blur`).FindStringSubmatch(out)
			if code != 0 || m == nil {
				b.Fatalf("gpublur --bench: exit %d\n%s\n%s", code, out, errOut)
			}
			ns, _ := strconv.ParseFloat(m[1], 64)
			b.ReportMetric(ns, "ns/op")
			b.ReportMetric(1e9/ns, "blurs/s")
		})
	}
}
