package cluster

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
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
	s       *server.Server
	addr    string // client address, HOST:PORT, as it listens
	advHost string // the host peers reach it at (--cluster-advertise), "" for addr's
}

// startServer runs a NATS server for clients on listen (HOST:PORT) and for routes on the same
// host, next free port, seeded with route (a nats-route:// URL; "" for the first node).
// advertise ("" is listen) is the address peers reach it at.
func startServer(name, listen, advertise, tok, route string, tlsc *tls.Config) (*embedded, error) {
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
		ClientAdvertise: advertise,
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
	if advertise != "" {
		// Servers gossip each other's route addresses: the advertised host, with the route
		// port the server picks (nats-server adds it to a host given alone).
		h, _, _ := net.SplitHostPort(advertise)
		if strings.Contains(h, ":") {
			h = "[" + h + "]"
		}
		opts.Cluster.Advertise = h
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
	e := &embedded{s: s, addr: s.Addr().String()}
	if advertise != "" {
		e.advHost, _, _ = net.SplitHostPort(advertise)
	}
	return e, nil
}

// routeURL is how other embedded servers reach this one: the route port on the advertised
// host (the listen host without --cluster-advertise).
func (e *embedded) routeURL(tok string) string {
	a := e.s.ClusterAddr()
	if a == nil {
		return ""
	}
	host := a.String()
	if e.advHost != "" {
		host = net.JoinHostPort(e.advHost, strconv.Itoa(a.Port))
	}
	return (&url.URL{Scheme: "nats-route", User: url.UserPassword(routeUser, tok), Host: host}).String()
}

// Unspecified reports whether host is no one address ("", 0.0.0.0, ::): listening there
// is fine, advertising it is not (peers cannot reach it).
func Unspecified(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// checkAdvertise refuses a node that would announce an address peers cannot reach.
func checkAdvertise(listen, advertise string) error {
	if advertise == "" {
		if listen == "" {
			return nil
		}
		if host, _, err := net.SplitHostPort(listen); err == nil && Unspecified(host) {
			return fmt.Errorf("cluster: --cluster-listen %s listens on every interface, and other nodes cannot reach %q: pass --cluster-advertise HOST:PORT, the address they reach this node at", listen, host)
		}
		return nil
	}
	if listen == "" {
		return fmt.Errorf("cluster: --cluster-advertise %s is the address of this node's own server: give --cluster-listen HOST:PORT too", advertise)
	}
	host, portS, err := net.SplitHostPort(advertise)
	if err != nil {
		return fmt.Errorf("cluster: --cluster-advertise %q: want HOST:PORT: %w", advertise, err)
	}
	if port, err := strconv.Atoi(portS); err != nil || port < 1 || port > 65535 {
		return fmt.Errorf("cluster: --cluster-advertise %q: the port must be 1-65535", advertise)
	}
	if Unspecified(host) {
		return fmt.Errorf("cluster: --cluster-advertise %q: advertise the address other nodes reach this node at, not an unspecified one", advertise)
	}
	return nil
}

func (e *embedded) close() {
	e.s.Shutdown()
	e.s.WaitForShutdown()
}
