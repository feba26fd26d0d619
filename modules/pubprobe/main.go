//go:build wasip1

// Command pubprobe publishes a small payload on each topic given as an argument and prints
// one line per attempt: "OK publish <topic>" (with ": no subscriber" when the bus let it through
// but nobody listens) or "ERR publish <topic>: <error>". The policy
// tests use it to check that the bus refuses ungranted topics.
//
//	pubprobe [-until-ok] [-every 50ms] [-for 10s] TOPIC...
//
// With -until-ok it repeats the round every -every until every topic has been published once
// after a refusal (or -for passes), so a test can change policy while it runs.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
	"unsafe"

	"github.com/orbital/orbital/modules/sdk"
)

//go:wasmimport orbital publish
func hostPublish(topic string, payload unsafe.Pointer, payloadLen int32, regions unsafe.Pointer, nregions int32) int32

func publish(topic string, payload []byte) error {
	if r := hostPublish(topic, unsafe.Pointer(unsafe.SliceData(payload)), int32(len(payload)), nil, 0); r < 0 {
		return sdk.Errno(r)
	}
	return nil
}

func main() {
	untilOK := flag.Bool("until-ok", false, "repeat until every topic was published after a refusal")
	every := flag.Duration("every", 50*time.Millisecond, "pause between rounds")
	limit := flag.Duration("for", 10*time.Second, "give up after this long")
	flag.Parse()
	topics := flag.Args()
	if len(topics) == 0 {
		fmt.Fprintln(os.Stderr, "usage: pubprobe [-until-ok] TOPIC...")
		os.Exit(2)
	}
	refused := map[string]bool{}
	done := map[string]bool{}
	deadline := time.Now().Add(*limit)
	for {
		for _, t := range topics {
			if done[t] {
				continue
			}
			err := publish(t, []byte("probe"))
			if err == sdk.ErrNotFound {
				// The policy let it through; the bus found nobody subscribed.
				fmt.Printf("OK publish %s: no subscriber\n", t)
				err = nil
			} else if err == nil {
				fmt.Printf("OK publish %s\n", t)
			}
			if err != nil {
				fmt.Printf("ERR publish %s: %v\n", t, err)
				refused[t] = true
				continue
			}
			if !*untilOK || refused[t] {
				done[t] = true
			}
		}
		if !*untilOK || len(done) == len(topics) {
			return
		}
		if time.Now().After(deadline) {
			fmt.Println("TIMEOUT")
			os.Exit(1)
		}
		time.Sleep(*every)
	}
}
