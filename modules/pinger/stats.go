package main

import (
	"fmt"
	"sort"
	"time"
)

// percentile returns the p-th percentile (0..100) of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := len(sorted) * p / 100
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

// summary sorts rtts and formats the line pinger prints.
func summary(topic string, rtts []time.Duration) string {
	sort.Slice(rtts, func(i, j int) bool { return rtts[i] < rtts[j] })
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	return fmt.Sprintf("pinger: %d round trips on %s: p50 %.1fus p99 %.1fus max %.1fus",
		len(rtts), topic, us(percentile(rtts, 50)), us(percentile(rtts, 99)), us(percentile(rtts, 100)))
}
