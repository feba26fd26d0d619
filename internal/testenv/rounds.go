package testenv

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// Median is the median of vs (the upper one of an even count), which it sorts in place; the
// benchmarks that run their sides in interleaved rounds report it per side.
func Median(vs []float64) float64 {
	slices.Sort(vs)
	return vs[len(vs)/2]
}

// Side is one side of a benchmark run in interleaved rounds: Run does n ops of it. Extra,
// if set, reports metrics of its own beside the median's ns/op (given as nsOp).
type Side struct {
	Name  string
	Run   func(n int)
	Extra func(b *testing.B, nsOp float64)
}

// Interleave runs sides in rounds of ops each, one side after another, and reports each
// side's median round as a sub-benchmark: ns/op and, with a clock (a thread's or the
// process's CPU time; nil: none), the CPU time per op in unit, scale nanoseconds each. Run
// one after another for a second each, a shared machine's load moves one side alone.
func Interleave(b *testing.B, rounds, ops int, clock func() time.Duration, unit string, scale float64, sides []Side) {
	if clock == nil {
		clock = func() time.Duration { return 0 }
	}
	wall := make([][]float64, len(sides))
	cpu := make([][]float64, len(sides))
	for range rounds {
		for i, side := range sides {
			c0, t0 := clock(), time.Now()
			side.Run(ops)
			wall[i] = append(wall[i], float64(time.Since(t0).Nanoseconds())/float64(ops))
			cpu[i] = append(cpu[i], float64((clock()-c0).Nanoseconds())/float64(ops)/scale)
		}
	}
	for i, side := range sides {
		fmt.Printf("%s %s ns/op by round: %.1f\n", b.Name(), side.Name, wall[i])
		w, c := Median(wall[i]), Median(cpu[i])
		b.Run(side.Name, func(b *testing.B) {
			b.ReportMetric(w, "ns/op")
			if unit != "" {
				b.ReportMetric(c, unit)
			}
			if side.Extra != nil {
				side.Extra(b, w)
			}
		})
	}
}
