//go:build wasip1

// cat copies its standard input to its standard output byte for byte until the end of input,
// as the Unix cat does with no arguments: the console window's and `orbital run`'s stdin test
// (`printf 'abc' | orbital run cat` prints exactly abc). With arguments it copies those files
// instead (they must be in a directory the policy preopens).
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		copyOut(os.Stdin, "standard input")
		return
	}
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "cat: %v\n", err)
			os.Exit(1)
		}
		copyOut(f, name)
		f.Close()
	}
}

func copyOut(r io.Reader, name string) {
	if _, err := io.Copy(os.Stdout, r); err != nil {
		fmt.Fprintf(os.Stderr, "cat: %s: %v\n", name, err)
		os.Exit(1)
	}
}
