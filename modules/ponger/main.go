//go:build wasip1

// Command ponger answers every request on ponger.ping (or -topic) with the request's payload,
// and exits 0 when something is published on ponger.stop or the kernel asks it to quit. It
// logs how many requests it answered. It also counts the messages published on ponger.flood
// and answers a request on ponger.count with that count (pinger -flood).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	topic := flag.String("topic", "ponger.ping", "topic to answer requests on")
	flag.Parse()
	n, err := serve(*topic)
	sdk.Logf(sdk.Info, "ponger: answered %d requests", n)
	if err != nil && !errors.Is(err, sdk.ErrClosed) {
		fmt.Fprintln(os.Stderr, "ponger:", err)
		sdk.Errorf("ponger: %v", err)
		os.Exit(1)
	}
}

func serve(topic string) (int, error) {
	if _, err := sdk.Subscribe(topic, sdk.Reliable); err != nil {
		return 0, err
	}
	if _, err := sdk.Subscribe("ponger.stop", sdk.Reliable); err != nil {
		return 0, err
	}
	// pinger -flood: count what arrives on ponger.flood, tell the count on ponger.count.
	for _, t := range []string{"ponger.flood", "ponger.count"} {
		if _, err := sdk.Subscribe(t, sdk.Reliable); err != nil {
			return 0, err
		}
	}
	answered, flood := 0, 0
	for {
		m, err := sdk.Recv(sdk.Forever)
		if err != nil {
			return answered, err
		}
		switch {
		case m.Kind == sdk.KindQuit || m.Topic == "ponger.stop":
			return answered, nil
		case m.Topic == "ponger.flood":
			flood++
		case m.Kind == sdk.KindRequest && m.Topic == "ponger.count":
			if err := sdk.Reply(m, []byte(strconv.Itoa(flood))); err != nil && !errors.Is(err, sdk.ErrNotFound) {
				return answered, err
			}
		case m.Kind == sdk.KindRequest:
			if err := sdk.Reply(m, m.Payload); err != nil && !errors.Is(err, sdk.ErrNotFound) {
				return answered, err // ErrNotFound: the requester gave up; keep serving
			}
			answered++
		}
	}
}
