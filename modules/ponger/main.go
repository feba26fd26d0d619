//go:build wasip1

// Command ponger answers every request on ponger.ping (or -topic) with the request's payload,
// and exits 0 when something is published on ponger.stop or the kernel asks it to quit. It
// logs how many requests it answered.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

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
	answered := 0
	for {
		m, err := sdk.Recv(sdk.Forever)
		if err != nil {
			return answered, err
		}
		switch {
		case m.Kind == sdk.KindQuit || m.Topic == "ponger.stop":
			return answered, nil
		case m.Kind == sdk.KindRequest:
			if err := sdk.Reply(m, m.Payload); err != nil && !errors.Is(err, sdk.ErrNotFound) {
				return answered, err // ErrNotFound: the requester gave up; keep serving
			}
			answered++
		}
	}
}
