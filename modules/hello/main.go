//go:build wasip1

// Command hello is the smallest Orbital module: it logs a line through the host ABI, prints to
// stdout through WASI, echoes its arguments and exits. `hello --exit N` exits with status N,
// which the kernel's tests use to check exit codes.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	sdk.Infof("hello: started as pid %d", sdk.PID())
	fmt.Println("hello from orbital")
	args := os.Args[1:]
	fmt.Printf("args: %q\n", args)
	code := 0
	for i := 0; i < len(args); i++ {
		if args[i] == "--exit" && i+1 < len(args) {
			n, err := strconv.Atoi(args[i+1])
			if err != nil {
				fmt.Fprintf(os.Stderr, "hello: --exit %q: not a number\n", args[i+1])
				os.Exit(2)
			}
			code = n
			i++
		}
	}
	if code != 0 {
		os.Exit(code)
	}
}
