//go:build wasip1

// Command pinger measures request/reply round trips over the bus. It sends -n requests with a
// -size byte payload on -topic (ponger answers them), checks every reply echoes the payload,
// prints the round-trip p50/p99 and exits 0; then (and after a failure too) it asks ponger to
// stop (publish on ponger.stop). It waits up to -wait for ponger to subscribe, so the two may
// start in any order:
//
//	orbital run ponger pinger -- -n 1000
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	n := flag.Int("n", 1000, "round trips to measure")
	size := flag.Int("size", 64, "payload bytes per request")
	topic := flag.String("topic", "ponger.ping", "topic ponger answers on")
	wait := flag.Duration("wait", 10*time.Second, "how long to wait for ponger to subscribe")
	stop := flag.Bool("stop", true, "publish ponger.stop when done")
	flood := flag.Int("flood", 0, "instead of round trips, publish this many messages on ponger.flood and time until ponger counted them all")
	flag.Parse()
	var err error
	if *flood > 0 {
		err = floodRun(*flood, *size, *topic, *wait)
	} else {
		err = run(*n, *size, *topic, *wait)
	}
	if *stop {
		sdk.Publish("ponger.stop", nil) // also after a failure, so a run of both ends
	}
	if err != nil {
		if errors.Is(err, sdk.ErrClosed) {
			return // the kernel is stopping us
		}
		fmt.Fprintln(os.Stderr, "pinger:", err)
		sdk.Errorf("pinger: %v", err)
		os.Exit(1)
	}
}

func run(n, size int, topic string, wait time.Duration) error {
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i)
	}
	if err := waitForServer(topic, wait); err != nil {
		return err
	}
	rtts := make([]time.Duration, 0, n)
	for i := range n {
		payload[0] = byte(i)
		t0 := sdk.Now()
		r, err := sdk.Request(topic, payload, 5*time.Second)
		rtt := sdk.Now() - t0
		if err != nil {
			return fmt.Errorf("round trip %d: %w", i, err)
		}
		if r.Kind != sdk.KindReply || !bytes.Equal(r.Payload, payload) {
			return fmt.Errorf("round trip %d: reply of kind %v with %d bytes does not echo the request", i, r.Kind, len(r.Payload))
		}
		rtts = append(rtts, rtt)
	}
	line := summary(topic, rtts)
	fmt.Println(line)
	sdk.Log(sdk.Info, line)
	return nil
}

// waitForServer polls until a request on topic is answered, sleeping in Recv (so a quit
// request still ends the process at once).
func waitForServer(topic string, wait time.Duration) error {
	deadline := sdk.Now() + wait
	for {
		_, err := sdk.Request(topic, []byte("hello"), time.Second)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sdk.ErrNotFound) && !errors.Is(err, sdk.ErrTimeout) {
			return err
		}
		if sdk.Now() > deadline {
			return fmt.Errorf("nobody answered on %s within %v (start ponger too): %w", topic, wait, err)
		}
		m, rerr := sdk.Recv(20 * time.Millisecond)
		if errors.Is(rerr, sdk.ErrClosed) || (rerr == nil && m.Kind == sdk.KindQuit) {
			return sdk.ErrClosed
		}
	}
}
