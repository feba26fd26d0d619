package httproute

import (
	"sort"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of a route whose policy sets no bound (docs/design/http.md).
const (
	DefaultBody    = 1 << 20
	DefaultRate    = 100 // requests per second; the burst is the same number
	DefaultTimeout = 10 * time.Second
)

// Route is one prefix of the table: the module that serves it and the bounds of each request.
// Zero bounds are the defaults.
type Route struct {
	Prefix  string // "/watchdog/"
	Module  string
	Body    int64         // largest request body
	Rate    int           // requests per second
	Timeout time.Duration // for the reply
}

// table is an immutable route table: longest prefix first.
type table struct {
	routes []*route
}

type route struct {
	Route
	limit *rate.Limiter
}

// newTable builds a table from routes, keeping the limiters of routes old already had (a
// reload of the policies does not reset a route's rate).
func newTable(routes []Route, old *table) *table {
	prev := map[string]*route{}
	if old != nil {
		for _, r := range old.routes {
			prev[r.Prefix+"\x00"+r.Module] = r
		}
	}
	t := &table{}
	for _, r := range routes {
		if r.Body <= 0 {
			r.Body = DefaultBody
		}
		r.Body = min(r.Body, MaxBody)
		if r.Rate <= 0 {
			r.Rate = DefaultRate
		}
		if r.Timeout <= 0 {
			r.Timeout = DefaultTimeout
		}
		nr := &route{Route: r}
		if p, ok := prev[r.Prefix+"\x00"+r.Module]; ok && p.Rate == r.Rate {
			nr.limit = p.limit
		} else {
			nr.limit = rate.NewLimiter(rate.Limit(r.Rate), r.Rate)
		}
		t.routes = append(t.routes, nr)
	}
	sort.Slice(t.routes, func(i, j int) bool { return len(t.routes[i].Prefix) > len(t.routes[j].Prefix) })
	return t
}

// match returns the route with the longest prefix of p, and whether p is a route's prefix
// without its trailing slash ("/watchdog" for "/watchdog/": redirected).
func (t *table) match(p string) (r *route, redirect string) {
	for _, r := range t.routes {
		if strings.HasPrefix(p, r.Prefix) {
			return r, ""
		}
		if p+"/" == r.Prefix {
			redirect = r.Prefix
		}
	}
	return nil, redirect
}

// Routes lists the table (for the panel and tests).
func (t *table) list() []Route {
	out := make([]Route, len(t.routes))
	for i, r := range t.routes {
		out[i] = r.Route
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Prefix < out[j].Prefix })
	return out
}
