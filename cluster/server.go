package cluster

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// MaxPayload is the embedded server's largest message: a bus payload (1 MiB) plus regions
// copied across (MaxRegionCopy) and the frame's header.
const MaxPayload = 10 << 20

// routeUser names the route credential; its password is the cluster token.
const routeUser = "orbital"

// embedded is the NATS server a node runs with --cluster-listen: clients (nodes that join
// it) on the listen address, routes to the other embedded servers on a port of its own.
type embedded struct {
	s    *server.Server
	addr string // client address, HOST:PORT
}

// startServer runs a NATS server for clients on listen (HOST:PORT) and for routes on the same
// host, next free port, seeded with route (a nats-route:// URL; "" for the first node).
func startServer(name, listen, tok, route string, tlsc *tls.Config) (*embedded, error) {
	host, portS, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("--cluster-listen %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portS)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("--cluster-listen %q: bad port", listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT // NATS reads 0 as its default port, 4222
	}
	opts := &server.Options{
		ServerName:      "orbital-" + name,
		Host:            host,
		Port:            port,
		Authorization:   tok,
		NoLog:           true,
		NoSigs:          true,
		MaxPayload:      MaxPayload,
		MaxPending:      64 << 20,
		NoSystemAccount: true,
		PingInterval:    time.Second,
		MaxPingsOut:     2,
		Cluster: server.ClusterOpts{
			Name:         "orbital",
			Host:         host,
			Port:         -1, // any free port; peers learn it from the route URL a node answers with
			Username:     routeUser,
			Password:     tok,
			PingInterval: time.Second,
			MaxPingsOut:  2,
			Compression:  server.CompressionOpts{Mode: server.CompressionOff},
		},
	}
	if tlsc != nil {
		opts.TLSConfig, opts.TLS, opts.TLSTimeout = tlsc, true, 2
		opts.Cluster.TLSConfig, opts.Cluster.TLSTimeout = tlsc, 2
	}
	if route != "" {
		u, err := url.Parse(route)
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", route, err)
		}
		opts.Routes = []*url.URL{u}
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("cluster server on %s did not start (address in use?)", listen)
	}
	return &embedded{s: s, addr: s.Addr().String()}, nil
}

// routeURL is how other embedded servers reach this one.
func (e *embedded) routeURL(tok string) string {
	a := e.s.ClusterAddr()
	if a == nil {
		return ""
	}
	return (&url.URL{Scheme: "nats-route", User: url.UserPassword(routeUser, tok), Host: a.String()}).String()
}

func (e *embedded) close() {
	e.s.Shutdown()
	e.s.WaitForShutdown()
}
