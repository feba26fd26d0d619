//go:build wasip1

// Command clipprobe exercises the desktop clipboard (docs/abi.md, "Clipboard"). It prints
// what the clipboard holds as `clipboard: "<text>"` (Go-quoted); given TEXT, it then writes
// TEXT and prints what the clipboard holds afterwards as `clipboard now: "<text>"`. With -wait
// it first polls until the clipboard holds WANT (another module or application put it there),
// so a test can check that a clipboard is shared.
//
//	clipprobe [-wait WANT] [-for 10s] [TEXT]
//
// Exit codes: 0 done, 2 usage, 3 denied (the policy lacks `[ui] clipboard = true`),
// 4 no clipboard on this kernel, 5 -wait timed out, 1 any other failure. Errors go to stderr
// as one line.
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
	want := flag.String("wait", "", "poll until the clipboard holds this text")
	limit := flag.Duration("for", 10*time.Second, "how long -wait polls")
	flag.Parse()
	if flag.NArg() > 1 {
		fmt.Fprintln(os.Stderr, "usage: clipprobe [-wait WANT] [-for 10s] [TEXT]")
		os.Exit(2)
	}
	text, err := sdk.ReadClipboard()
	if err != nil {
		fail(err)
	}
	if *want != "" {
		deadline := time.Now().Add(*limit)
		for text != *want {
			if time.Now().After(deadline) {
				fmt.Fprintf(os.Stderr, "clipprobe: the clipboard still holds %q after %v, want %q\n", text, *limit, *want)
				os.Exit(5)
			}
			time.Sleep(20 * time.Millisecond) // poll interval
			if text, err = sdk.ReadClipboard(); err != nil {
				fail(err)
			}
		}
	}
	fmt.Printf("clipboard: %q\n", text)
	if flag.NArg() == 0 {
		return
	}
	if err := sdk.WriteClipboard(flag.Arg(0)); err != nil {
		fail(err)
	}
	if text, err = sdk.ReadClipboard(); err != nil {
		fail(err)
	}
	fmt.Printf("clipboard now: %q\n", text)
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "clipprobe: %v\n", err)
	switch {
	case errors.Is(err, sdk.ErrDenied):
		os.Exit(3)
	case errors.Is(err, sdk.ErrNotFound):
		os.Exit(4)
	}
	os.Exit(1)
}
