package main

import (
	"testing"
	"time"
)

func TestSummary(t *testing.T) {
	var rtts []time.Duration
	for i := 100; i >= 1; i-- {
		rtts = append(rtts, time.Duration(i)*time.Microsecond)
	}
	got := summary("ponger.ping", rtts)
	want := "pinger: 100 round trips on ponger.ping: p50 51.0us p99 100.0us max 100.0us"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if percentile(nil, 50) != 0 {
		t.Fatal("percentile of nothing")
	}
}
