//go:build wasip1

// Command reloadfeed publishes "seq N" on a topic every -every, for the hot-reload tests:
//
//	reloadfeed [-topic reload.probe] [-every 20ms] [-n 0 (forever)]
//
// A publish nobody receives yet (the probe has not subscribed) is retried, so no number is
// skipped.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	topic := flag.String("topic", "reload.probe", "topic to publish on")
	every := flag.Duration("every", 20*time.Millisecond, "time between messages")
	n := flag.Int("n", 0, "messages to send (0: until stopped)")
	flag.Parse()
	for seq := 1; *n == 0 || seq <= *n; {
		err := sdk.Publish(*topic, []byte(fmt.Sprintf("seq %d", seq)))
		switch {
		case err == nil:
			seq++
		case !errors.Is(err, sdk.ErrNotFound):
			fmt.Fprintf(os.Stderr, "reloadfeed: %v\n", err)
			os.Exit(1)
		}
		if _, err := sdk.Recv(*every); errors.Is(err, sdk.ErrClosed) {
			return
		}
	}
}
