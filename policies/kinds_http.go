package policies

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

// httpKind is [http]: routes (path prefixes the module answers on the instance's HTTP server)
// and, for each request to them, the largest body, a rate and a reply timeout (ceilings).
// Routes are granted by a policy that names one module; the instance builds its route table
// from the set (Set.Routes), where two modules claiming one prefix is an error naming both.
type httpKind struct{}

func (httpKind) keys() []string {
	return []string{"http.routes", "http.body", "http.rate", "http.timeout"}
}

func (httpKind) parse(v *validator, t *Tables, g *Grants) {
	h := &g.HTTP
	h.Routes = v.list("http.routes", t.HTTP.Routes, CheckRoute)
	if s := string(t.HTTP.Body); s != "" {
		n, err := ParseSize(s)
		if err != nil {
			v.fail("http.body", "%v", err)
		}
		h.Body = Limit{N: n, Src: v.src("http.body")}
	}
	if n := t.HTTP.Rate; n != 0 {
		if n < 0 {
			v.fail("http.rate", "must be a number of requests per second, 1 or more, not %d", n)
		}
		h.Rate = Limit{N: max(n, 0), Src: v.src("http.rate")}
	}
	if s := string(t.HTTP.Timeout); s != "" {
		n, err := parseDuration(s)
		if err != nil {
			v.fail("http.timeout", "%v", err)
		}
		h.Timeout = Limit{N: n, Src: v.src("http.timeout")}
	}
}

func (httpKind) unparse(g *Grants, t *Tables) {
	h := g.HTTP
	t.HTTP.Routes = values(h.Routes)
	if h.Body.N > 0 {
		t.HTTP.Body = Text(FormatSize(h.Body.N))
	}
	t.HTTP.Rate = h.Rate.N
	if h.Timeout.N > 0 {
		t.HTTP.Timeout = Text(formatDuration(h.Timeout.N))
	}
}

func (httpKind) meet(a, b, out *Grants) {
	out.HTTP = HTTPGrant{
		Routes: intersectPrefixes(a.HTTP.Routes, b.HTTP.Routes),
		Body:   minCeiling(a.HTTP.Body, b.HTTP.Body), Rate: minCeiling(a.HTTP.Rate, b.HTTP.Rate),
		Timeout: minCeiling(a.HTTP.Timeout, b.HTTP.Timeout),
	}
}

func (httpKind) add(g, o *Grants) { g.HTTP.Routes = append(g.HTTP.Routes, o.HTTP.Routes...) }
func (httpKind) clone(g *Grants)  { g.HTTP.Routes = append([]Rule(nil), g.HTTP.Routes...) }
func (httpKind) grants(g *Grants) bool {
	return len(g.HTTP.Routes) > 0
}

func (httpKind) missing(req *Grants, ns *Namespace, m *Grants) {
	for _, r := range req.HTTP.Routes {
		if !underAny(ns.Grants.HTTP.Routes, r.Value) {
			m.HTTP.Routes = append(m.HTTP.Routes, r)
		}
	}
}

func (httpKind) explain(g *Grants, row func(what, v string, src Source)) {
	for _, r := range g.HTTP.Routes {
		row("http route", r.Value, r.Src)
	}
	if l := g.HTTP.Body; l.N > 0 {
		row("http body", FormatSize(l.N), l.Src)
	}
	if l := g.HTTP.Rate; l.N > 0 {
		row("http rate", strconv.FormatInt(l.N, 10)+" requests/s", l.Src)
	}
	if l := g.HTTP.Timeout; l.N > 0 {
		row("http timeout", formatDuration(l.N), l.Src)
	}
}

func (httpKind) describe(g *Grants) []string {
	var out []string
	for _, r := range g.HTTP.Routes {
		out = append(out, "Answer web requests under "+r.Value)
	}
	return out
}

func (httpKind) summary(g *Grants) []string {
	var out []string
	for _, r := range g.HTTP.Routes {
		out = append(out, "http:"+r.Value)
	}
	return out
}

// CheckRoute validates a route: an absolute URL path prefix ending in "/", already clean (no
// "." or ".." segment, no "//"), of unreserved characters only (no "%", "?", "#"), at most
// 256 bytes: what a request's path is compared with, byte for byte.
func CheckRoute(r string) error {
	switch {
	case r == "" || r[0] != '/' || !strings.HasSuffix(r, "/"):
		return errors.New(`a route is a path prefix that starts and ends with "/", e.g. "/watchdog/"`)
	case len(r) > 256:
		return errors.New("a route is at most 256 bytes")
	case r != "/" && path.Clean(r)+"/" != r:
		return errors.New(`a route must be a clean path (no "//", "." or ".." segment)`)
	}
	for _, c := range r {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/-._~", c)) {
			return fmt.Errorf("%q is not allowed in a route (letters, digits and - . _ ~ only)", c)
		}
	}
	return nil
}

// underAny reports whether route lies under one of the prefixes.
func underAny(prefixes []Rule, route string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(route, p.Value) {
			return true
		}
	}
	return false
}

// intersectPrefixes keeps each route of one side that lies under a route of the other: a
// manifest asking for /watchdog/api/ under a policy's /watchdog/ gets /watchdog/api/.
func intersectPrefixes(a, b []Rule) []Rule {
	var out []Rule
	seen := map[string]bool{}
	for _, x := range a {
		for _, y := range b {
			v := ""
			switch {
			case strings.HasPrefix(x.Value, y.Value):
				v = x.Value
			case strings.HasPrefix(y.Value, x.Value):
				v = y.Value
			}
			if v != "" && !seen[v] {
				seen[v] = true
				out = append(out, Rule{Value: v, Src: y.Src})
			}
		}
	}
	return out
}

// Routes returns the routes the namespace grants.
func (n *Namespace) Routes() []Rule {
	if n.Refused != nil {
		return nil
	}
	return n.Grants.HTTP.Routes
}

// Route is one entry of the instance's route table: a prefix, the module that serves it and
// the policy line that granted it.
type Route struct {
	Prefix string
	Module string
	Src    Source
	Policy *Policy
}

// RouteConflict is two modules claiming one prefix.
type RouteConflict struct {
	Prefix string
	A, B   Route
}

func (c *RouteConflict) Error() string {
	return fmt.Sprintf("http route %s is claimed by two modules: %s (%s) and %s (%s); neither serves it until one file drops it",
		c.Prefix, c.A.Module, c.A.Src, c.B.Module, c.B.Src)
}

// Routes is the set's route table: for each module named by a policy file that applies to it
// (the one Lookup picks), the routes the file grants, sorted by prefix. A prefix two modules
// claim is left out and reported as a *RouteConflict; the other routes stand.
func (s *Set) Routes() ([]Route, []*RouteConflict) {
	by := map[string][]Route{}
	for _, p := range s.Policies {
		if p.Err != nil || p.kind() != matchName || len(p.Grants.HTTP.Routes) == 0 {
			continue
		}
		if top, err := s.Lookup(Identity{Name: p.Match}); err != nil || top != p {
			continue // another file applies to this module (or none may)
		}
		for _, r := range p.Grants.HTTP.Routes {
			by[r.Value] = append(by[r.Value], Route{Prefix: r.Value, Module: p.Match, Src: r.Src, Policy: p})
		}
	}
	var routes []Route
	var conflicts []*RouteConflict
	for prefix, rs := range by {
		if len(rs) == 1 {
			routes = append(routes, rs[0])
			continue
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].Src.String() < rs[j].Src.String() })
		if rs[0].Module == rs[1].Module {
			routes = append(routes, rs[0]) // one file listing a prefix twice
			continue
		}
		conflicts = append(conflicts, &RouteConflict{Prefix: prefix, A: rs[0], B: rs[1]})
	}
	sort.Slice(routes, func(i, j int) bool { return routes[i].Prefix < routes[j].Prefix })
	sort.Slice(conflicts, func(i, j int) bool { return conflicts[i].Prefix < conflicts[j].Prefix })
	return routes, conflicts
}
