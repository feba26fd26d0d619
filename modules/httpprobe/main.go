//go:build wasip1

// Command httpprobe answers every HTTP request routed to it ([http] routes) with N bytes of
// "x" (N from the query's n, default 1024); for a path ending in /pid with "pid N", its pid;
// for one ending in /crash by exiting 3 without replying. It is a reactor (the file named reactor): init registers its route
// handler, and the kernel calls it for each request on the process's own thread, with no
// receive loop. The HTTP route tests and benchmark use it.
package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/orbital/orbital/modules/sdk"
)

func init() { sdk.ListenRoutes(handle) }

// main is not called in a reactor.
func main() {}

var bodies = map[int][]byte{} // made once per size, as the benchmark's Go handler does

var textPlain = sdk.RouteHeader{"Content-Type": {"text/plain"}}

func handle(req *sdk.RouteRequest) sdk.RouteResponse {
	switch {
	case strings.HasSuffix(req.Path, "/crash"):
		os.Exit(3)
	case strings.HasSuffix(req.Path, "/pid"):
		return sdk.RouteResponse{Header: textPlain, Body: []byte("pid " + strconv.Itoa(int(sdk.PID())))}
	}
	n, err := strconv.Atoi(queryN(req.Query))
	if err != nil {
		n = 1024
	}
	if bodies[n] == nil {
		bodies[n] = bytes.Repeat([]byte("x"), n)
	}
	return sdk.RouteResponse{Header: textPlain, Body: bodies[n]}
}

// queryN is the value of n in a query like "n=64" (what the tests send), without the maps
// url.ParseQuery makes: the benchmark's Go handler parses nothing either.
func queryN(q string) string {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		if v, ok := strings.CutPrefix(kv, "n="); ok {
			return v
		}
	}
	return ""
}
