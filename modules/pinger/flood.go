//go:build wasip1

package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

// floodRun publishes n messages of size bytes on ponger.flood as fast as the bus takes them
// (waiting in Recv a moment when a reliable subscriber is full), then asks ponger.count until
// ponger has counted them all, and prints the throughput.
func floodRun(n, size int, topic string, wait time.Duration) error {
	if err := waitForServer(topic, wait); err != nil {
		return err
	}
	base, err := count()
	if err != nil {
		return err
	}
	payload := make([]byte, size)
	t0 := sdk.Now()
	for i := 0; i < n; {
		err := sdk.Publish("ponger.flood", payload)
		switch {
		case err == nil:
			i++
		case errors.Is(err, sdk.ErrFull):
		default:
			return fmt.Errorf("publish %d: %w", i, err)
		}
	}
	for {
		got, err := count()
		if err != nil {
			return err
		}
		if got-base >= n {
			break
		}
		if sdk.Now()-t0 > 60*time.Second {
			return fmt.Errorf("ponger counted %d of %d messages within 60 s", got-base, n)
		}
		sdk.Recv(time.Millisecond)
	}
	d := sdk.Now() - t0
	line := fmt.Sprintf("pinger: flood of %d messages of %d bytes on ponger.flood: %.0f msg/s", n, size, float64(n)/d.Seconds())
	fmt.Println(line)
	sdk.Log(sdk.Info, line)
	return nil
}

// count asks ponger how many flood messages it counted.
func count() (int, error) {
	r, err := sdk.Request("ponger.count", nil, 5*time.Second)
	if err != nil {
		return 0, fmt.Errorf("ponger.count: %w", err)
	}
	return strconv.Atoi(string(r.Payload))
}
