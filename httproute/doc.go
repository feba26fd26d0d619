// Package httproute serves HTTP on loopback for modules: a policy grants a module path prefixes
// ([http] routes = ["/watchdog/"]), and a request under one reaches the module as a message
// whose reply becomes the response (docs/abi.md "HTTP routes" for the encoding,
// docs/design/http.md for the reasons).
//
// A Server holds an immutable route table (longest prefix first), swapped whole by SetRoutes
// when the policies change. ServeHTTP refuses what a module must never see (a path with "."
// or ".." segments, "//", an encoded slash or backslash, control characters: 400), finds the
// route (none: 404; "/watchdog" for the route "/watchdog/": 301), applies the route's rate
// (429 with Retry-After) and body bound (413), encodes the request (EncodeRequest; a body that
// would make the message larger than the bus carries goes in a region) and hands it to the
// Caller, which delivers it to one process of the module and waits for the reply (the
// instance calls the module as a service: package system). No reply within the route's
// timeout is 504, a module that ended without replying or sent something that is not a reply
// (DecodeReply) is 502, a module too busy to take it 503. A reply's Release, when the Caller
// set one, runs once the response is written (the Caller lends the reply's memory).
//
// The server's own bounds: loopback only; at most Limits.MaxConns connections (more wait in
// the kernel's backlog: internal/netx), a header within HeaderTimeout (slowloris clients are
// cut off) and MaxHeaderBytes (431), the whole request within ReadTimeout, the answer within
// WriteTimeout, idle keep-alive IdleTimeout.
//
// # Lifecycle and concurrency
//
// New starts nothing; Listen serves in one goroutine (net/http's, one more per connection)
// until Close, which waits up to 2 s for requests in flight and removes the URL file. Close
// twice is harmless. ServeHTTP, SetRoutes and Routes are safe for concurrent use: the table is
// an atomic pointer, SetRoutes is serialised by Server.mu (a leaf lock), and each route's rate
// limiter (golang.org/x/time/rate, a token bucket) is safe for concurrent use and kept across
// table swaps while the route's rate is unchanged.
package httproute
