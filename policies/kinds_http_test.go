package policies

import (
	"strings"
	"testing"
)

func TestHTTPGrant(t *testing.T) {
	p := mustParse(t, "w.toml", "[module]\nmatch = \"watchdog\"\n\n[http]\nroutes = [\"/watchdog/\", \"/status/\"]\nbody = \"2MiB\"\nrate = 50\ntimeout = \"3s\"\n")
	h := p.Grants.HTTP
	if len(h.Routes) != 2 || h.Routes[1].Src.Line != 5 || h.Body.N != 2<<20 || h.Rate.N != 50 || h.Timeout.N != 3e9 {
		t.Fatalf("%+v", h)
	}
	req := &Grants{HTTP: HTTPGrant{Routes: []Rule{{Value: "/watchdog/api/"}, {Value: "/other/"}}, Body: Limit{N: 1 << 20}}}
	got := Intersect(req, &p.Grants).HTTP
	if len(got.Routes) != 1 || got.Routes[0].Value != "/watchdog/api/" || got.Body.N != 1<<20 || got.Rate.N != 50 {
		t.Fatalf("intersection %+v", got)
	}
	if s := strings.Join(Summary(&p.Grants), " "); !strings.Contains(s, "http:/watchdog/") {
		t.Errorf("summary %q", s)
	}
	if d := strings.Join(Describe(&p.Grants), "\n"); !strings.Contains(d, "Answer web requests under /status/") {
		t.Errorf("describe %q", d)
	}
}

func TestHTTPBadRoutes(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"[module]\nmatch = \"w\"\n[http]\nroutes = [\"watchdog/\"]\n", `w.toml:4: http.routes: "watchdog/": a route is a path prefix`},
		{"[module]\nmatch = \"w\"\n[http]\nroutes = [\"/a/../b/\"]\n", "clean path"},
		{"[module]\nmatch = \"w\"\n[http]\nroutes = [\"/a%2fb/\"]\n", "not allowed"},
		{"[module]\nmatch = \"w\"\n[http]\nroutes = [\"/a//\"]\n", "clean path"},
		{"[module]\nmatch = \"w*\"\n[http]\nroutes = [\"/a/\"]\n", "name one module"},
		{"[module]\nmatch = \"w\"\n[http]\nrate = -1\n", "http.rate"},
		{"[module]\nmatch = \"w\"\n[http]\nroute = [\"/a/\"]\n", "known keys in [http]: routes, body, rate, timeout"},
	} {
		_, err := Parse("w.toml", []byte(tc.src), testExpand)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.src, err, tc.want)
		}
	}
}

// TestRouteConflict: two modules claiming one prefix leave it out, naming both files and
// lines; a user's file that overrides a built-in one takes its routes with it.
func TestRouteConflict(t *testing.T) {
	a := mustParse(t, "a.toml", "[module]\nmatch = \"alpha\"\n[http]\nroutes = [\"/x/\", \"/a/\"]\n")
	b := mustParse(t, "b.toml", "[module]\nmatch = \"beta\"\n\n[http]\nroutes = [\"/x/\"]\n")
	builtin := mustParse(t, "built-in:alpha.toml", "[module]\nmatch = \"alpha\"\n[http]\nroutes = [\"/old/\"]\n")
	builtin.Builtin = true
	routes, conflicts := (&Set{Policies: []*Policy{builtin, a, b}}).Routes()
	if len(routes) != 1 || routes[0].Prefix != "/a/" || routes[0].Module != "alpha" {
		t.Fatalf("routes %+v", routes)
	}
	if len(conflicts) != 1 {
		t.Fatalf("conflicts %v", conflicts)
	}
	msg := conflicts[0].Error()
	for _, want := range []string{"/x/", "alpha (a.toml:4)", "beta (b.toml:5)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}
