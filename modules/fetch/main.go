// Command fetch is a small curl for Orbital: it fetches a URL through the host's http_fetch
// door and prints the body to stdout (with -i, the status line and headers first). The host
// only lets it reach the host:port pairs its policy lists under [net] allow, so it is also the
// demo of that door:
//
//	orbital run fetch -- [-i] [-X METHOD] [-H 'Name: value']... [-d BODY] URL
//
// Exit status: 0 for a 2xx or 3xx answer, 1 for any other status, 2 for bad usage, 3 when the
// policy refused the URL, 4 for any other failure (the message names it).
package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/orbital/orbital/modules/sdk"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	req, head, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fetch:", err)
		fmt.Fprintln(os.Stderr, "usage: fetch [-i] [-X METHOD] [-H 'Name: value']... [-d BODY] URL")
		return 2
	}
	resp, err := sdk.Fetch(req)
	switch {
	case errors.Is(err, sdk.ErrDenied):
		fmt.Fprintf(os.Stderr, "fetch: %v\n(grant it in a policy file: [net] allow = [\"host:port\"]; see `orbital policy explain fetch`)\n", err)
		return 3
	case err != nil:
		fmt.Fprintln(os.Stderr, "fetch:", err)
		return 4
	}
	if head {
		fmt.Printf("HTTP %d\n", resp.Status)
		names := make([]string, 0, len(resp.Header))
		for k := range resp.Header {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			for _, v := range resp.Header[k] {
				fmt.Printf("%s: %s\n", k, v)
			}
		}
		fmt.Println()
	}
	os.Stdout.Write(resp.Body)
	if resp.Status >= 400 {
		return 1
	}
	return 0
}

// parseArgs reads curl-like flags.
func parseArgs(args []string) (req sdk.HTTPRequest, head bool, err error) {
	req.Header = map[string][]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		switch a {
		case "-i":
			head = true
		case "-X":
			if req.Method, err = next(); err != nil {
				return req, head, err
			}
		case "-H":
			h, err := next()
			if err != nil {
				return req, head, err
			}
			k, v, ok := strings.Cut(h, ":")
			if !ok {
				return req, head, fmt.Errorf("-H %q: want 'Name: value'", h)
			}
			req.Header[strings.TrimSpace(k)] = append(req.Header[strings.TrimSpace(k)], strings.TrimSpace(v))
		case "-d":
			d, err := next()
			if err != nil {
				return req, head, err
			}
			req.Body = []byte(d)
			if req.Method == "" {
				req.Method = "POST"
			}
		default:
			if strings.HasPrefix(a, "-") || req.URL != "" {
				return req, head, fmt.Errorf("unexpected argument %q", a)
			}
			req.URL = a
		}
	}
	if req.URL == "" {
		return req, head, errors.New("no URL given")
	}
	return req, head, nil
}
