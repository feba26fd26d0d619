package system

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/httproute"
	"github.com/orbital/orbital/policies"
)

// HTTP routes (docs/design/http.md): the instance serves HTTP on loopback and hands each
// request under a granted prefix to the module that holds it. The route table comes from the
// policies (policies.Set.Routes, narrowed by each module's manifest) and follows their edits;
// two modules claiming one prefix is reported at start, and neither gets it.

// HTTPURLFile holds the running instance's HTTP address (mode 0600).
func HTTPURLFile(home string) string { return filepath.Join(home, "run", "http.url") }

// httpPID is the bus endpoint the HTTP server sends requests from: above the kernel's pids
// (from 1) and the drivers' (from 1<<20), below the topic relays' (from relayBase).
const httpPID bus.PID = 1 << 27

// httpServer is the running HTTP side of an instance.
type httpServer struct {
	in     *Instance
	srv    *httproute.Server
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	gen    uint64 // the policy generation the table was built from
	once   sync.Once
}

// startHTTP serves the routes on addr. A failure is reported and leaves the instance running
// without HTTP, as the panel does.
func (in *Instance) startHTTP(addr string) {
	b := in.k.Bus()
	if _, err := b.Attach(httpPID, bus.InboxLimits{}); err != nil {
		in.errorf("http server not started: %v", err)
		return
	}
	h := &httpServer{in: in, done: make(chan struct{})}
	h.srv = httproute.New(httproute.Config{Caller: &httpCaller{in: in}, MaxPayload: b.Config().MaxPayload,
		Logf: func(f string, a ...any) { in.errorf("http: "+f, a...) }})
	h.refresh(true)
	if _, err := h.srv.Listen(addr, HTTPURLFile(in.cfg.Home)); err != nil {
		b.Detach(httpPID)
		in.errorf("http server not started: %v", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go h.follow(ctx)
	in.http = h
	in.undo = append(in.undo, func() {
		h.close()
		b.Detach(httpPID)
	})
}

// URL is where the server listens ("" when it does not run).
func (h *httpServer) URL() string {
	if h == nil {
		return ""
	}
	return h.srv.URL()
}

// close stops the server; twice is harmless.
func (h *httpServer) close() {
	h.once.Do(func() {
		h.cancel()
		<-h.done
		h.srv.Close()
	})
}

// follow rebuilds the route table when the policies change, until ctx ends.
func (h *httpServer) follow(ctx context.Context) {
	defer close(h.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.refresh(false)
		}
	}
}

// refresh builds the route table from the current policies (when they changed, or first),
// reporting conflicts and routes a manifest narrows away.
func (h *httpServer) refresh(first bool) {
	in := h.in
	gen := in.pst.Generation()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !first && gen == h.gen {
		return
	}
	h.gen = gen
	granted, conflicts := in.pst.Set().Routes()
	for _, c := range conflicts {
		in.errorf("policy error: %v", c)
	}
	routes := in.routesFor(granted)
	mods := make(map[string]bool, len(routes))
	for _, r := range routes {
		mods[r.Module] = true
	}
	in.routed.Store(&mods)
	h.srv.SetRoutes(routes)
}

// routesFor turns the policies' routes into the server's: each module's effective namespace
// (manifest ∩ policy) decides which prefixes it serves and their bounds.
func (in *Instance) routesFor(granted []policies.Route) []httproute.Route {
	var out []httproute.Route
	seen := map[string]bool{}
	for _, r := range granted {
		if seen[r.Module] {
			continue
		}
		seen[r.Module] = true
		_, ns, err := moduleNamespace(in.pst, in.reg, r.Module)
		if err != nil {
			in.errorf("http: %s serves no route: %v", r.Module, err)
			continue
		}
		g := ns.Grants.HTTP
		for _, p := range ns.Routes() {
			if !underGranted(granted, r.Module, p.Value) {
				continue // a prefix left out as a conflict
			}
			out = append(out, httproute.Route{Prefix: p.Value, Module: r.Module, Body: g.Body.N, Rate: int(g.Rate.N), Timeout: time.Duration(g.Timeout.N)})
		}
	}
	return out
}

// underGranted reports whether prefix lies under a route of the table granted to module.
func underGranted(granted []policies.Route, module, prefix string) bool {
	for _, r := range granted {
		if r.Module == module && len(prefix) >= len(r.Prefix) && prefix[:len(r.Prefix)] == r.Prefix {
			return true
		}
	}
	return false
}

// HTTPURL is the address of the instance's HTTP server, "" when it does not run.
func (in *Instance) HTTPURL() string { return in.http.URL() }
