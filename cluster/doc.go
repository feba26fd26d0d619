// Package cluster joins Orbital nodes over NATS: one bus and one place to start modules
// across machines. A node is one instance (`orbital up --cluster-listen HOST:PORT` runs an
// embedded nats-server whose routes form the cluster; `--join nats://TOKEN@HOST:PORT` joins
// one, embedded or standalone) with a name, announcing its resources, modules, processes and
// bus interest on orb.ann every second. Reasons and measurements: docs/design/cluster.md.
//
// # Lifecycle
//
// New checks a Config and starts nothing. Start takes the token (from the --join URL, else
// HOME/cluster/token, made 0600 on first use), connects (to the joined server; with
// --cluster-listen, to its own embedded server once routed to the joined one's), refuses a
// name another live node holds, subscribes and starts the announcer and the reaper. Close
// stops them, detaches every proxy and shuts the embedded server down; twice is harmless.
//
// # Bus bridge
//
// Each member has a node proxy on the local bus (bus.AttachRemote) subscribed to the patterns
// it announced, so a local publish or request reaches other nodes through the bus's own trie,
// after the sender's policy check; local messages never touch NATS. A remote sender gets a
// process proxy, a local pid bound to this node's policy for its module (Host.Bind), so the
// receiver's policy is checked before delivery; a direct send to a proxy waits for the other
// node's acknowledgement. Frames (wire.go) are decoded strictly; regions cross by copy up to
// MaxRegionCopy. Calls of services by name go to a node that has the service installed
// through the NATS queue group orb.svc.NAME (services.go); spawns go to the node Place picks
// (control.go), which fetches a module it lacks from the asking node's registry. A spawn for
// a process (SpawnChild, children.go) carries the parent's namespace as the child's bound and
// links the two nodes until the child ends: op exit reports its end, op stop reaches it.
//
// # Concurrency
//
// NATS callbacks run on nats.go's goroutines (one per subscription); a remote request and a
// control request each get a goroutine of their own, counted in Node.wg, as do the announcer,
// the reaper and the flusher (outbox.go: publishes to a node are batched in its outbox and
// published by the flusher; requests and direct sends flush it first, so one sender's order
// holds). Lock order: Node.mu -> bus locks; outbox.sendMu -> outbox.mu, taken by no one
// holding Node.mu. A bus sink (nodeSink, procSink) runs on the sender's goroutine and never
// takes Node.mu.
//
// # Libraries
//
// github.com/nats-io/nats-server/v2 (embedded server, routes, token auth, TLS) and
// github.com/nats-io/nats.go (client): subjects with the bus's own `*`/`>` wildcards,
// request/reply, clustering and reconnects, none of it home-made.
package cluster
