// Package admin is Orbital's admin panel: what runs on the machine, and the controls to stop it.
//
// The panel reads and controls processes through the narrow Controller interface, which
// package system adapts from the kernel (modules) and the driver host (native drivers). The same
// data reaches people three ways:
//
//   - over HTTP on 127.0.0.1 only (Server): a server-rendered page whose small script refreshes
//     the table every second from a JSON endpoint, per-row actions (stop, restart, reload, kill, logs)
//     sent as POST requests, and /metrics in the Prometheus text format;
//   - on the command line through a local control socket (ControlServer, ControlClient):
//     `orbital ps`, `orbital kill PID`;
//   - on the bus, as the kernel's introspection service (Service: sys.ps, sys.stats, sys.kill,
//     sys.stop, sys.restart, sys.reload, sys.logs, sys.audit), checked against the requester's namespace
//     like any other request. The shell's orbital://admin window is an ordinary module
//     (modules/admin) that renders these rows: the panel gets no private door into the kernel,
//     and what it may do is what its policy grants.
//
// Reload (hot reload in place) is an optional capability: a Controller that also implements
// Reloader gets the panel's Reload action, the control socket's reload op (`orbital reload`)
// and sys.reload; without it they answer ErrNoReload.
//
// # Security
//
// Every HTTP route sits under a random per-boot token (/t/<token>/...): a request without the
// token, or with a wrong one, gets 401. The token is written to $ORBITAL_HOME/run/admin.url with
// mode 0600, so only the user who runs Orbital can read it (`orbital admin` prints it). Actions
// are POST only and need a second per-boot CSRF token, sent in the X-Orbital-CSRF header by the
// page's script; a browser form on another site can neither read it nor set the header, and a
// request whose Origin header names another site is refused as well. The control socket
// (ControlSocketPath: <home>/run/control.sock) is a unix socket with mode 0600 in a directory
// only its owner may enter; both ends reach it through the checked, open directory and check
// the other end's uid (SO_PEERCRED) before a byte is exchanged (socket.go). The HTTP server
// has read, header, write and idle timeouts and a cap on open connections; both servers'
// accept loops back off on errors and never stop (internal/netx).
//
// # Concurrency
//
// Server and ControlServer call the Controller from their request goroutines; the Controller
// must be safe for concurrent use and must not block on a hung module (the kernel answers from
// its process table, never from the module's thread). The Sampler owns one goroutine that turns
// CPU time into CPU % once a second; Close stops it.
//
// Only the standard library is used: html/template for the page (escaping module names, which
// come from untrusted manifests), net/http, encoding/json.
package admin
