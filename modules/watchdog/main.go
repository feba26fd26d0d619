//go:build wasip1

// Command watchdog checks a list of URLs on a schedule and keeps their up/down history in its
// storage; it serves a status page (with an SVG chart) at /watchdog/ and the same as JSON at
// /watchdog/api/status. The URLs are a storage key: orbital kv watchdog put config/urls
// "https://example.org/" (one per line); config/interval sets the seconds between checks.
//
// It is a resident service while it is used: started by its schedule or by a request, it
// checks when a check is due (its own timer while it runs) and answers requests, and exits
// after linger without requests; the schedule starts it again.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

const linger = 10 * time.Second

func main() {
	lastUse := time.Now()
	for {
		interval := configInterval()
		next := lastCheck().Add(interval)
		if !time.Now().Before(next) {
			checkAll()
			next = time.Now().Add(interval)
		}
		wait := min(time.Until(next), time.Until(lastUse.Add(linger)))
		m, err := sdk.Recv(max(wait, 0))
		switch {
		case errors.Is(err, sdk.ErrTimeout):
			if time.Since(lastUse) >= linger && time.Now().Before(lastCheck().Add(configInterval())) {
				return // idle: the schedule starts it again
			}
			continue
		case err != nil:
			return // being stopped
		case m.Kind == sdk.KindQuit:
			return
		}
		if ok, err := sdk.HandleRoute(m, serve); ok {
			lastUse = time.Now()
			if err != nil {
				fmt.Fprintln(os.Stderr, "watchdog: reply:", err)
			}
		}
	}
}

func configInterval() time.Duration {
	b, _ := sdk.KV.Get("config/interval")
	return parseInterval(b)
}

func lastCheck() time.Time {
	b, err := sdk.KV.Get("last")
	if err != nil || len(b) == 0 {
		return time.Time{}
	}
	var n int64
	fmt.Sscan(string(b), &n)
	return time.Unix(0, n)
}

func urls() []string {
	b, _ := sdk.KV.Get("config/urls")
	return parseURLs(string(b))
}

// checkAll probes every URL and stores the results (and drops the oldest past keepChecks) in
// one batch, with the time of this round.
func checkAll() {
	now := time.Now()
	var b sdk.Batch
	for _, u := range urls() {
		c := probe(u)
		data, _ := json.Marshal(c)
		b.Put(checkKey(u, c.Time), data)
		keys := historyKeys(u)
		for len(keys) >= keepChecks {
			b.Delete(keys[0])
			keys = keys[1:]
		}
	}
	b.Put("last", fmt.Appendf(nil, "%d", now.UnixNano()))
	if err := sdk.KV.Commit(&b); err != nil {
		fmt.Fprintln(os.Stderr, "watchdog: store the checks:", err)
	}
}

func probe(u string) Check {
	start := time.Now()
	c := Check{Time: start}
	resp, err := sdk.Fetch(sdk.HTTPRequest{URL: u, Timeout: 5 * time.Second})
	c.MS = time.Since(start).Milliseconds()
	if err != nil {
		c.Error = err.Error()
		return c
	}
	c.Status = resp.Status
	c.Up = resp.Status < 400
	return c
}

func historyKeys(u string) []string {
	var keys []string
	for k, err := range sdk.KV.Keys("h/" + urlID(u) + "/") {
		if err != nil {
			break
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func status() []URLStatus {
	var out []URLStatus
	for _, u := range urls() {
		var checks []Check
		for _, k := range historyKeys(u) {
			if v, err := sdk.KV.Get(k); err == nil {
				if c, err := decodeCheck(v); err == nil {
					checks = append(checks, c)
				}
			}
		}
		out = append(out, summarize(u, checks))
	}
	return out
}

func serve(req *sdk.RouteRequest) sdk.RouteResponse {
	if req.Method != "GET" && req.Method != "HEAD" {
		return sdk.RouteResponse{Status: 405, Body: []byte("GET only\n")}
	}
	switch req.Sub() {
	case "":
		return sdk.RouteResponse{Header: sdk.RouteHeader{"Content-Type": {"text/html; charset=utf-8"}},
			Body: []byte(page(status(), configInterval(), time.Now()))}
	case "api/status":
		body, _ := json.MarshalIndent(map[string]any{"interval_seconds": configInterval().Seconds(), "last_check": lastCheck(), "urls": status()}, "", "  ")
		return sdk.RouteResponse{Header: sdk.RouteHeader{"Content-Type": {"application/json"}}, Body: append(body, '\n')}
	}
	return sdk.RouteResponse{Status: 404, Body: []byte("no such page: " + req.Path + "\n")}
}
