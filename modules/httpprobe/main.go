//go:build wasip1

// Command httpprobe answers every HTTP request routed to it ([http] routes) with N bytes of
// "x" (N from the query's n, default 1024), or, for a path ending in /crash, by exiting 3
// without replying. The HTTP route tests and benchmark use it.
package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	if err := sdk.ListenRoutes("httpprobe"); err != nil {
		os.Exit(1)
	}
	bodies := map[int][]byte{} // made once per size, as the benchmark's Go handler does
	for {
		m, err := sdk.Recv(sdk.Forever)
		if err != nil || m.Kind == sdk.KindQuit {
			return
		}
		sdk.HandleRoute(m, func(req *sdk.RouteRequest) sdk.RouteResponse {
			if strings.HasSuffix(req.Path, "/crash") {
				os.Exit(3)
			}
			n, err := strconv.Atoi(req.Values().Get("n"))
			if err != nil {
				n = 1024
			}
			if bodies[n] == nil {
				bodies[n] = bytes.Repeat([]byte("x"), n)
			}
			return sdk.RouteResponse{Header: sdk.RouteHeader{"Content-Type": {"text/plain"}}, Body: bodies[n]}
		})
	}
}
