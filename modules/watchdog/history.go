package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Storage layout (sdk.KV):
//
//	config/urls        the URLs to check, one per line (orbital kv watchdog put config/urls ...)
//	config/interval    seconds between checks (default 30)
//	last               unix nanoseconds of the last check
//	h/<url id>/<t>     one check: JSON of a Check; <t> is the unix nanosecond time, zero-padded
//	                   to 20 digits so keys sort by time
//
// At most keepChecks are kept per URL; older ones are deleted in the batch that adds a check.

const keepChecks = 120

// Check is one probe of one URL.
type Check struct {
	Time   time.Time `json:"t"`
	Up     bool      `json:"up"`
	Status int       `json:"status,omitempty"` // HTTP status (0: no answer)
	MS     int64     `json:"ms"`               // how long it took
	Error  string    `json:"error,omitempty"`
}

// URLStatus is one URL's history, newest last, as the JSON endpoint serves it.
type URLStatus struct {
	URL     string  `json:"url"`
	Up      bool    `json:"up"`
	Checks  int     `json:"checks"`
	Uptime  float64 `json:"uptime"` // share of the kept checks that were up
	History []Check `json:"history"`
}

func urlID(u string) string {
	sum := sha256.Sum256([]byte(u))
	return hex.EncodeToString(sum[:8])
}

func checkKey(u string, t time.Time) string {
	return fmt.Sprintf("h/%s/%020d", urlID(u), t.UnixNano())
}

// parseURLs reads config/urls: one URL per line; blank lines and # comments are skipped.
func parseURLs(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// summarize builds a URLStatus from checks in time order.
func summarize(u string, checks []Check) URLStatus {
	s := URLStatus{URL: u, Checks: len(checks), History: checks}
	up := 0
	for _, c := range checks {
		if c.Up {
			up++
		}
	}
	if len(checks) > 0 {
		s.Up = checks[len(checks)-1].Up
		s.Uptime = float64(up) / float64(len(checks))
	}
	return s
}

func decodeCheck(b []byte) (Check, error) {
	var c Check
	err := json.Unmarshal(b, &c)
	return c, err
}

func parseInterval(b []byte) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 1 {
		return 30 * time.Second
	}
	return time.Duration(n) * time.Second
}
