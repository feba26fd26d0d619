package testenv

import "slices"

// Median is the median of vs (the upper one of an even count), which it sorts in place; the
// benchmarks that run their sides in interleaved rounds report it per side.
func Median(vs []float64) float64 {
	slices.Sort(vs)
	return vs[len(vs)/2]
}
