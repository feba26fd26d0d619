//go:build wasip1

// Package reloadprobe is the module the hot-reload tests and benchmark run in several
// versions (reloadprobe, reloadprobe2, reloadcrash): one program, built with the version it
// prints and, for reloadcrash, a trap soon after it starts.
//
// It subscribes to a topic (default reload.probe) and prints one line per message published
// there; it answers requests, and direct messages "ping" (sent back to the sender), with
// "VERSION COUNT". It keeps its count across reloads with sdk.OnReload. Flags: -topic, -work (time spent on each message, so messages queue up).
package reloadprobe

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/orbital/orbital/modules/sdk"
)

// state is what survives a reload.
type state struct {
	Count    int      // messages handled, by every version
	Versions []string // the versions that ran, oldest first
}

// save is "COUNT VERSION,VERSION...".
func (st *state) save() []byte {
	return []byte(strconv.Itoa(st.Count) + " " + strings.Join(st.Versions, ","))
}

func (st *state) restore(b []byte) {
	count, versions, _ := strings.Cut(string(b), " ")
	n, err := strconv.Atoi(count)
	if err != nil {
		panic(fmt.Sprintf("reloadprobe: state %q from the old version: %v", b, err))
	}
	st.Count, st.Versions = n, strings.Split(versions, ",")
}

// Main runs the probe as version; with trapAfter > 0 it traps that long after it starts.
func Main(version string, trapAfter time.Duration) {
	topic := flag.String("topic", "reload.probe", "topic to subscribe to")
	work := flag.Duration("work", 0, "time spent on each message")
	flag.Parse()
	st := &state{}
	sdk.OnReload(st.save, st.restore)
	start := sdk.Now()
	if _, err := sdk.Subscribe(*topic, sdk.Reliable); err != nil {
		fmt.Fprintf(os.Stderr, "reloadprobe %s: %v\n", version, err)
		os.Exit(1)
	}
	fmt.Printf("reloadprobe %s started as pid %d\n", version, sdk.PID())
	first := true
	for {
		timeout := sdk.Forever
		if trapAfter > 0 {
			if timeout = start + trapAfter - sdk.Now(); timeout <= 0 {
				fmt.Printf("reloadprobe %s trapping on purpose\n", version)
				trap()
			}
		}
		m, err := sdk.Recv(timeout)
		if first { // the state arrived with the first recv
			first = false
			st.Versions = append(st.Versions, version)
			fmt.Printf("reloadprobe %s running, count %d, versions %v\n", version, st.Count, st.Versions)
		}
		switch {
		case errors.Is(err, sdk.ErrTimeout):
			continue // trapAfter has passed
		case errors.Is(err, sdk.ErrClosed):
			return
		case err != nil:
			fmt.Fprintf(os.Stderr, "reloadprobe %s: %v\n", version, err)
			os.Exit(1)
		}
		switch m.Kind {
		case sdk.KindQuit:
			return
		case sdk.KindRequest:
			st.Count++
			sdk.Reply(m, []byte(fmt.Sprintf("%s %d", version, st.Count)))
		case sdk.KindDirect:
			if string(m.Payload) != "ping" {
				break
			}
			st.Count++
			if err := sdk.Send(m.From, []byte(fmt.Sprintf("%s %d", version, st.Count)), sdk.Forever); err != nil {
				fmt.Fprintf(os.Stderr, "reloadprobe %s: answer ping: %v\n", version, err)
			}
		case sdk.KindPublish:
			st.Count++
			// Sent before this code started: the message waited in the inbox across the swap.
			fmt.Printf("reloadprobe %s handled %q count=%d queued-before-start=%v\n", version, m.Payload, st.Count, m.Sent < start)
			time.Sleep(*work)
		}
	}
}

// trap reads past the end of linear memory: a WebAssembly trap (out of bounds memory access),
// not a Go panic, which would exit with status 2.
func trap() {
	var b byte
	far := unsafe.Slice(&b, 1<<31) // 2 GiB from b: past the end of memory
	fmt.Println(far[len(far)-1])
}
