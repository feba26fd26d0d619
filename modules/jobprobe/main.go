//go:build wasip1

// Command jobprobe is the test probe of the instance's lifecycle (system: triggers, restart
// policy, the admin panel's Restart). A triggered module gets no arguments of its own, so
// what it does comes from its process name (argv[0], the name it is installed under), or
// from -do:
//
//	tick*   print "jobprobe NAME ran at UNIX-NANOS" and exit 0 (a scheduled job)
//	crash*  print "jobprobe NAME crashing" and exit 3 (a module that fails on start)
//	wait*   print "jobprobe NAME waiting as pid N" and wait until asked to quit
//	slow*   print, then run for -for (default 3s) and exit 0 (a job longer than its period)
//	topic*  print "jobprobe NAME got TOPIC PAYLOAD" for every message, until asked to quit
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	name := filepath.Base(os.Args[0])
	do := flag.String("do", "", "tick, crash, wait, slow or topic (default: from the process name)")
	dur := flag.Duration("for", 3*time.Second, "how long slow runs")
	flag.Parse()
	if *do == "" {
		for _, b := range []string{"tick", "crash", "wait", "slow", "topic"} {
			if strings.HasPrefix(name, b) {
				*do = b
			}
		}
	}
	switch *do {
	case "tick":
		fmt.Printf("jobprobe %s ran at %d\n", name, time.Now().UnixNano())
	case "crash":
		fmt.Printf("jobprobe %s crashing\n", name)
		os.Exit(3)
	case "wait":
		fmt.Printf("jobprobe %s waiting as pid %d\n", name, sdk.PID())
		wait(name, false)
	case "slow":
		fmt.Printf("jobprobe %s ran at %d\n", name, time.Now().UnixNano())
		time.Sleep(*dur)
	case "topic":
		wait(name, true)
	default:
		fmt.Fprintf(os.Stderr, "jobprobe %s: nothing to do (-do tick|crash|wait|slow|topic)\n", name)
		os.Exit(2)
	}
}

// wait receives until the process is asked to quit, printing bus messages when show is set.
func wait(name string, show bool) {
	for {
		m, err := sdk.Recv(sdk.Forever)
		if errors.Is(err, sdk.ErrClosed) || err == nil && m.Kind == sdk.KindQuit {
			return
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "jobprobe %s: recv: %v\n", name, err)
			os.Exit(1)
		}
		if show && m.Topic != "" {
			fmt.Printf("jobprobe %s got %s %s\n", name, m.Topic, m.Payload)
		}
	}
}
