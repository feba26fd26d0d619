package cluster

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/orbital/orbital/bus"
)

// Config configures a node. Listen or Join (or both) must be set.
type Config struct {
	Name   string // --node; default the host name
	Listen string // --cluster-listen HOST:PORT: run an embedded NATS server there
	// Advertise is --cluster-advertise HOST:PORT: the address other nodes reach the embedded
	// server at (announced, in join URLs and route URLs). Required when Listen's host is
	// unspecified (0.0.0.0, ::, empty); default Listen's address.
	Advertise string
	Join      string // --join nats://[TOKEN@]HOST:PORT
	Home      string // the Orbital home: the token lives in HOME/cluster/token
	Host      Host
	// TLS forces TLS even on loopback (it is always on elsewhere).
	TLS bool
	// Announce is how often the node announces itself (default 1 s); a member silent for
	// Lost (default 3 s) is lost.
	Announce, Lost time.Duration
	Log            func(format string, a ...any)
}

// Subjects (NODE and SRC are node names).
const (
	subjAnnounce = "orb.ann"       // announcements, JSON
	subjRoutes   = "orb.routes"    // request: an embedded server's route URL
	subjMsg      = "orb.n.%s.m.%s" // bus messages to NODE from SRC (frames)
	subjReply    = "orb.n.%s.r.%s" // replies to NODE's requests, from SRC (frames)
	subjCtl      = "orb.n.%s.ctl"  // control requests to NODE, JSON
)

// ErrNameTaken is Start's error when another live node has the name.
var ErrNameTaken = errors.New("cluster: node name taken")

// Node is this instance's membership in a cluster: its NATS connection (and embedded server),
// the member table, the bus bridge and the control service.
type Node struct {
	cfg     Config
	tok     string
	tlsc    *tls.Config
	srv     *embedded
	nc      *nats.Conn
	b       *bus.Bus
	boot    string
	started time.Time
	addr    string

	mu      sync.Mutex
	members map[string]*member
	proxies map[bus.PID]*proxy
	byRmt   map[rkey]bus.PID
	order   []bus.PID // process proxies, oldest first (evicted past maxProxies)
	nextPID bus.PID
	refused map[string]time.Time // rate-limits the log of refusals by reason
	seq     uint64

	outboxes sync.Map     // node name -> *outbox: what goes to it, in order (outbox.go)
	batch    []frame      // onBatch's frames, reused from batch to batch (inbound.go)
	flushq   chan *outbox // outboxes with a batch for the flusher

	kids   map[uint64]*Child     // children of local processes on other nodes, by spawn id (children.go)
	served map[servedKey]Started // processes started here as children of other nodes' processes
	kidSeq uint64

	adopted     map[string]string             // restart-always service -> the lost node it was taken from
	callHandler CallHandler                   // services.go
	svcSubs     map[string]*nats.Subscription // service -> its queue subscription

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool

	// counters
	sent, received, bad, denied atomic.Uint64
	// maxPayload is n.nc's largest message, read again at every reconnect and after every
	// batch: nc.MaxPayload takes the connection's lock, which nats.go holds while it writes
	// a batch, and a guest's publish checked it (frameOf) and waited for that write.
	maxPayload atomic.Int64
	// proxyGen counts detachments of process proxies (a member dropped, the oldest
	// evicted): a pid a batch remembered (lastProxy) is good while it has not moved.
	proxyGen atomic.Uint64
}

// New checks cfg; it starts nothing.
func New(cfg Config) (*Node, error) {
	if cfg.Name == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("cluster: node name: %w (pass --node)", err)
		}
		cfg.Name = strings.Map(func(r rune) rune {
			if ValidName(string(r)) != nil {
				return '-'
			}
			return r
		}, h)
	}
	if err := ValidName(cfg.Name); err != nil {
		return nil, fmt.Errorf("cluster: --node: %w", err)
	}
	if cfg.Listen == "" && cfg.Join == "" {
		return nil, errors.New("cluster: want --cluster-listen HOST:PORT, --join nats://HOST:PORT, or both")
	}
	if err := checkAdvertise(cfg.Listen, cfg.Advertise); err != nil {
		return nil, err
	}
	if cfg.Host == nil || cfg.Home == "" {
		return nil, errors.New("cluster: Config.Host and Config.Home are required")
	}
	if cfg.Announce <= 0 {
		cfg.Announce = time.Second
	}
	if cfg.Lost <= 0 {
		cfg.Lost = 3 * cfg.Announce
	}
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	raw := make([]byte, 8)
	rand.Read(raw)
	return &Node{cfg: cfg, boot: hex.EncodeToString(raw), members: map[string]*member{}, proxies: map[bus.PID]*proxy{},
		byRmt: map[rkey]bus.PID{}, nextPID: proxyBase, refused: map[string]time.Time{}, adopted: map[string]string{}, svcSubs: map[string]*nats.Subscription{},
		kids: map[uint64]*Child{}, served: map[servedKey]Started{}, flushq: make(chan *outbox, 256)}, nil
}

// Name is the node's name.
func (n *Node) Name() string { return n.cfg.Name }

// Addr is the NATS address the node serves (with --cluster-listen) or joined.
func (n *Node) Addr() string { return n.addr }

// Token is the cluster token the node uses.
func (n *Node) Token() string { return n.tok }

// Start connects the node: it joins (with the token from the --join URL, else the home's),
// runs its embedded server (routed to the joined one's), refuses a name another live node
// has, subscribes and starts announcing. On failure nothing is left running.
func (n *Node) Start(ctx context.Context) (err error) {
	n.b = n.cfg.Host.Bus()
	n.ctx, n.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	var joinSrv, joinTok string
	if n.cfg.Join != "" {
		if joinSrv, joinTok, err = ParseJoin(n.cfg.Join); err != nil {
			return err
		}
	}
	if joinTok != "" {
		n.tok = joinTok
		if err := SaveToken(n.cfg.Home, joinTok); err != nil {
			return err
		}
	} else if n.tok, err = LoadToken(n.cfg.Home); err != nil {
		return err
	}
	if err := n.connect(ctx, joinSrv); err != nil {
		return err
	}
	n.maxPayload.Store(n.nc.MaxPayload())
	n.nc.SetReconnectHandler(func(nc *nats.Conn) { n.maxPayload.Store(nc.MaxPayload()) })
	return n.begin(ctx)
}

// connect makes n.nc: to the joined server, or to the node's own embedded server once it is
// routed to the cluster.
func (n *Node) connect(ctx context.Context, joinSrv string) error {
	var route string
	if joinSrv != "" {
		nc, err := n.dial(joinSrv)
		if err != nil {
			return fmt.Errorf("cluster: joining %s: %w", joinSrv, explainConnErr(err))
		}
		if n.cfg.Listen == "" {
			n.nc, n.addr = nc, joinSrv
			return nil
		}
		msg, err := nc.Request(subjRoutes, nil, 3*time.Second)
		nc.Close()
		if err != nil {
			return fmt.Errorf("cluster: %s gave no route URL (%v): with --cluster-listen, --join must name another Orbital node; to join a standalone NATS server, leave out --cluster-listen", joinSrv, err)
		}
		route = string(msg.Data)
		if u, err := url.Parse(route); err != nil || u.Scheme != "nats-route" {
			return fmt.Errorf("cluster: %s answered a bad route URL", joinSrv)
		}
	}
	host, _, err := net.SplitHostPort(n.cfg.Listen)
	if err != nil {
		return fmt.Errorf("cluster: --cluster-listen %q: %w", n.cfg.Listen, err)
	}
	if n.cfg.TLS || !Loopback(host) {
		if n.tlsc, err = tlsConfig(n.tok); err != nil {
			return err
		}
	}
	if n.srv, err = startServer(n.cfg.Name, n.cfg.Listen, n.cfg.Advertise, n.tok, route, n.tlsc); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	local := "nats://" + n.srv.addr
	n.addr = local
	if n.cfg.Advertise != "" {
		n.addr = "nats://" + n.cfg.Advertise
	}
	if route != "" {
		if err := waitRoute(ctx, n.srv, 10*time.Second); err != nil {
			return err
		}
	}
	// The node talks to its own server in process (no socket): two of the six hops of a
	// cross-node round trip are then a pipe, not loopback TCP.
	n.nc, err = n.dial(local, nats.InProcessServer(n.srv.s))
	if err != nil {
		return fmt.Errorf("cluster: own server %s: %w", local, err)
	}
	return nil
}

// dial connects to a NATS server with the token (and TLS off loopback).
func (n *Node) dial(addr string, extra ...nats.Option) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name("orbital " + n.cfg.Name), nats.Token(n.tok), nats.NoEcho(),
		nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.PingInterval(time.Second), nats.MaxPingsOutstanding(2), nats.Timeout(3 * time.Second),
		nats.ErrorHandler(func(_ *nats.Conn, s *nats.Subscription, err error) {
			n.logOnce("nats", "cluster: %v", err)
		}),
	}
	opts = append(opts, extra...)
	u, err := url.Parse(addr)
	if err != nil {
		return nil, err
	}
	secure := n.cfg.TLS || u.Scheme == "tls" || !Loopback(u.Hostname())
	if secure && len(extra) == 0 { // in process needs no TLS
		c, err := tlsConfig(n.tok)
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.Secure(c))
	}
	return nats.Connect(addr, opts...)
}

// explainConnErr says what a refused join means.
func explainConnErr(err error) error {
	if errors.Is(err, nats.ErrAuthorization) || strings.Contains(strings.ToLower(err.Error()), "authorization") {
		return fmt.Errorf("wrong cluster credentials: the token in --join is not this cluster's (run orbital cluster token on a member): %w", err)
	}
	return err
}

// waitRoute waits until the embedded server has a route to the cluster.
func waitRoute(ctx context.Context, e *embedded, limit time.Duration) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	deadline := time.After(limit)
	for e.s.NumRoutes() == 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("cluster: no route to the joined server within %v (wrong token? its route port unreachable?)", limit)
		case <-t.C:
		}
	}
	return nil
}

// Close leaves the cluster: announcements stop, proxies go, the connection and the embedded
// server close. Twice is harmless.
func (n *Node) Close() {
	if n.closed.Swap(true) {
		return
	}
	if n.cancel != nil {
		n.cancel()
	}
	if n.nc != nil {
		n.flushAll() // publishes already queued still go
		n.nc.Close() // no callback runs after this returns? they may: wg covers our goroutines
	}
	n.wg.Wait()
	var orphans []Started
	n.mu.Lock()
	for _, m := range n.members {
		orphans = append(orphans, n.unlinkLocked(m.ann.Name, "node "+n.cfg.Name+" left the cluster")...)
		n.dropMemberLocked(m)
	}
	n.mu.Unlock()
	for _, st := range orphans { // their parents cannot reach them any more
		st.Stop(false)
	}
	if n.srv != nil {
		n.srv.close()
	}
}

// logOnce logs a refusal at most once per 10 s per key, so a misbehaving peer cannot flood
// the log.
func (n *Node) logOnce(key, format string, a ...any) {
	now := time.Now()
	n.mu.Lock()
	last, ok := n.refused[key]
	if ok && now.Sub(last) < 10*time.Second {
		n.mu.Unlock()
		return
	}
	if len(n.refused) > 1024 {
		clear(n.refused)
	}
	n.refused[key] = now
	n.mu.Unlock()
	n.cfg.Log(format, a...)
}
