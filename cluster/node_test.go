package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
)

// Three nodes: a seeds the cluster, b routes its own server to a's, c joins b as a plain
// client. Publish, request and direct sends cross; a lost node is marked lost, its
// restart-always services fail over, and the others keep working.
func TestCluster(t *testing.T) {
	ha, hb, hc := newFakeHost(), newFakeHost(), newFakeHost()
	hb.drivers = []string{"camera"}
	ha.always, ha.modules = []string{"weather"}, []string{"weather"}
	hc.modules = []string{"weather"}
	a := startNode(t, "a", "127.0.0.1:0", "", ha)
	join := JoinURL(strings.TrimPrefix(a.Addr(), "nats://"), a.Token())
	b := startNode(t, "b", "127.0.0.1:0", join, hb)
	c := startNode(t, "c", "", JoinURL(strings.TrimPrefix(b.Addr(), "nats://"), a.Token()), hc)
	for _, n := range []*Node{a, b, c} {
		testenv.Eventually(t, func() bool { return upNodes(n, 3) }, 10*time.Second, "node %s sees 3 up", n.Name())
	}

	// Publish from c reaches a subscriber on a; a request from a is answered on c.
	ctx := context.Background()
	sub, _ := ha.b.Attach(7, bus.InboxLimits{})
	ha.b.Subscribe(7, "sensor.>", bus.Reliable)
	srv, _ := hc.b.Attach(9, bus.InboxLimits{})
	hc.b.Subscribe(9, "svc.echo", bus.Reliable)
	hc.b.Attach(3, bus.InboxLimits{})
	ha.b.Attach(4, bus.InboxLimits{})
	testenv.Eventually(t, func() bool { return hc.b.Subscribers("sensor.t") == 1 && ha.b.Subscribers("svc.echo") == 1 }, 5*time.Second, "interest crossed")
	h, _ := hc.b.RegionCreate(3, 3)
	hc.b.RegionWrite(3, h, 0, []byte("reg"))
	if err := hc.b.Publish(ctx, bus.Message{From: 3, Topic: "sensor.t", Payload: []byte("21C"), Regions: []bus.Attachment{{Handle: h, Rights: bus.RightRead}}}); err != nil {
		t.Fatal(err)
	}
	m, err := sub.RecvTimeout(ctx, 5*time.Second)
	if err != nil || string(m.Payload) != "21C" || m.Topic != "sensor.t" || len(m.Regions) != 1 {
		t.Fatalf("cross-node publish: %v %+v", err, m)
	}
	got := make([]byte, 3)
	if err := ha.b.RegionRead(7, m.Regions[0].Handle, 0, got); err != nil || string(got) != "reg" {
		t.Fatalf("region copied across: %v %q", err, got)
	}
	if node, rpid, ok := a.Remote(m.From); !ok || node != "c" || rpid != 3 {
		t.Fatalf("sender %v is %s/%d %v", m.From, node, rpid, ok)
	}
	go func() {
		q, err := srv.Recv(ctx)
		if err == nil {
			hc.b.Reply(bus.Message{From: 9, Corr: q.Corr, Payload: append([]byte("echo:"), q.Payload...)})
		}
	}()
	r, err := ha.b.Request(ctx, bus.Message{From: 4, Topic: "svc.echo", Payload: []byte("hi")}, 5*time.Second)
	if err != nil || string(r.Payload) != "echo:hi" {
		t.Fatalf("cross-node request: %v %q", err, r.Payload)
	}
	// A direct send back to the publisher's proxy reaches c's pid 3, acknowledged.
	if err := ha.b.Send(ctx, bus.Message{From: 7, To: m.From, Kind: 40, Payload: []byte("back")}); err != nil {
		t.Fatal(err)
	}
	in3, _ := hc.b.Inbox(3)
	if d, err := in3.RecvTimeout(ctx, 5*time.Second); err != nil || string(d.Payload) != "back" || d.Kind != 40 {
		t.Fatalf("direct send across: %v %+v", err, d)
	}
	// Regions cross by copy up to MaxRegionCopy; more is ErrTooBig for the sender.
	big, _ := hc.b.RegionCreate(3, MaxRegionCopy+1)
	if err := hc.b.Publish(ctx, bus.Message{From: 3, Topic: "sensor.t", Regions: []bus.Attachment{{Handle: big, Rights: bus.RightRead}}}); !errors.Is(err, bus.ErrTooBig) {
		t.Fatalf("a region over the limit to another node: %v", err)
	}
	// To a pid that does not exist there: an error, not a silent loss.
	ghost, err := a.Address("c", 999)
	if err != nil {
		t.Fatal(err)
	}
	if err := ha.b.Send(ctx, bus.Message{From: 7, To: ghost}); !errors.Is(err, bus.ErrNotFound) {
		t.Fatalf("send to a missing remote pid: %v", err)
	}

	// A call by name reaches the node that has the service (c), and its failures come back.
	hc.mu.Lock()
	hc.svcs = []string{"weather"}
	hc.mu.Unlock()
	c.ServeCalls(func(ctx context.Context, call Call) (bus.Message, error) {
		if call.Method == "fail" {
			return bus.Message{}, &ServiceFailed{Msg: "no sun"}
		}
		return bus.Message{Payload: append([]byte(call.Module+":"+call.Method+":"), call.Payload...)}, nil
	})
	testenv.Eventually(t, func() bool { return a.hasService("weather") }, 5*time.Second, "weather announced")
	testenv.Eventually(t, func() bool {
		rep, err := a.CallRemote(ctx, 4, "weather", "today", []byte("x"), nil, 5*time.Second)
		return err == nil && string(rep.Payload) == "mod:today:x"
	}, 5*time.Second, "a call of weather.today from a answered on c")
	var sf *ServiceFailed
	if _, err := a.CallRemote(ctx, 4, "weather", "fail", nil, nil, 5*time.Second); !errors.As(err, &sf) || sf.Msg != "no sun" {
		t.Fatalf("a failed call: %v", err)
	}
	if _, err := a.CallRemote(ctx, 4, "nosuch", "", nil, nil, time.Second); !errors.Is(err, ErrNoService) {
		t.Fatalf("a call of a service no node has: %v", err)
	}

	// Placement: the camera node for driver=camera, unknown driver refused.
	if node, err := c.Place(Need{Drivers: []string{"camera"}}, "", true); err != nil || node != "b" {
		t.Fatalf("place camera: %q %v", node, err)
	}
	if _, err := c.Place(Need{Drivers: []string{"lidar"}}, "", true); err == nil {
		t.Fatal("placed a spawn no node fits")
	}
	node, pid, err := c.Spawn(ctx, SpawnRequest{Module: "viewer", Need: Need{Drivers: []string{"camera"}}}, "", true)
	if sp := hb.spawns(); err != nil || node != "b" || pid != 42 || len(sp) != 1 || sp[0].From != "c" {
		t.Fatalf("spawn: %s %d %v %+v", node, pid, err, sp)
	}
	if _, _, err := c.Spawn(ctx, SpawnRequest{Module: "unsigned"}, "b", false); err == nil || !strings.Contains(err.Error(), "unsigned") {
		t.Fatalf("spawn of an unsigned module: %v", err)
	}
	ps := b.Processes(ctx)
	if len(ps) != 3 {
		t.Fatalf("processes %+v", ps)
	}

	// a goes: lost on b and c, its always-service restarted on c (the only other node that
	// has it; b, the smallest up name, decides).
	a.Close()
	for _, n := range []*Node{b, c} {
		testenv.Eventually(t, func() bool {
			for _, i := range n.Nodes() {
				if i.Name == "a" {
					return i.State == "lost"
				}
			}
			return false
		}, 10*time.Second, "a lost on %s", n.Name())
	}
	testenv.Eventually(t, func() bool { hc.mu.Lock(); defer hc.mu.Unlock(); return len(hc.failover) == 1 }, 5*time.Second, "weather failed over to c")
	var lost int
	for _, p := range c.Processes(ctx) {
		if p.Node == "a" && p.State == "lost" {
			lost++
		}
	}
	if lost != 1 {
		t.Fatal("a's processes are not shown lost")
	}
	// The rest keeps working: c's publish still reaches nobody on a (ErrNotFound, not a hang).
	if err := hc.b.Publish(ctx, bus.Message{From: 3, Topic: "sensor.t"}); !errors.Is(err, bus.ErrNotFound) {
		t.Fatalf("publish after the subscriber's node was lost: %v", err)
	}
	// a comes back (a new incarnation, through b) and runs weather again: up again on b and
	// c, and c stops the weather it took over (it would run twice).
	ha2 := newFakeHost()
	ha2.always, ha2.modules = []string{"weather"}, []string{"weather"}
	a2 := startNode(t, "a", "127.0.0.1:0", JoinURL(strings.TrimPrefix(b.Addr(), "nats://"), a.Token()), ha2)
	for _, n := range []*Node{a2, b, c} {
		testenv.Eventually(t, func() bool { return upNodes(n, 3) }, 10*time.Second, "node %s sees a back", n.Name())
	}
	testenv.Eventually(t, func() bool { hc.mu.Lock(); defer hc.mu.Unlock(); return len(hc.released) == 1 }, 5*time.Second, "c handed weather back")
}

// Bad input: a wrong token, a taken name, absurd announcements and malformed frames are
// refused with a reason, and the cluster goes on.
func TestClusterBadInput(t *testing.T) {
	ha, hb := newFakeHost(), newFakeHost()
	a := startNode(t, "a", "127.0.0.1:0", "", ha)
	addr := strings.TrimPrefix(a.Addr(), "nats://")
	if _, err := tryNode(t, "x", "", JoinURL(addr, "wrongwrongwrongwrong"), newFakeHost()); err == nil || !strings.Contains(err.Error(), "wrong cluster credentials") {
		t.Fatalf("wrong token: %v", err)
	}
	if _, err := tryNode(t, "a", "", JoinURL(addr, a.Token()), newFakeHost()); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("duplicate name: %v", err)
	}
	b := startNode(t, "b", "", JoinURL(addr, a.Token()), hb)
	waitUp(t, 2, a, b)

	// A rogue client with the token.
	nc, err := nats.Connect(a.Addr(), nats.Token(a.Token()))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	absurd := Announcement{V: 1, Name: "huge", Boot: "0123456789abcdef", Cores: 1 << 20, MemTotal: 1 << 62, MemFree: 1}
	nc.Publish(subjAnnounce, mustJSON(absurd))
	nc.Publish(subjAnnounce, []byte("{not json"))
	nc.Publish("orb.n.a.m.b", []byte("short"))
	bad := frame{op: opMessage, kind: uint32(bus.KindPublish), from: 1, topic: "x", payload: []byte("p")}.encode()
	bad = append(bad, 0) // a byte past the end
	nc.Publish("orb.n.a.m.b", bad)
	nc.Publish("orb.n.a.m.stranger", frame{op: opMessage, kind: uint32(bus.KindPublish), from: 1, topic: "x"}.encode())
	if r, err := nc.Request("orb.n.a.ctl", mustJSON(ctlRequest{Op: "spawn", From: "stranger", Spawn: &SpawnRequest{Module: "m"}}), 2*time.Second); err != nil {
		t.Fatal(err)
	} else {
		var cr ctlReply
		json.Unmarshal(r.Data, &cr)
		if !strings.Contains(cr.Error, "not an up member") {
			t.Fatalf("spawn from a stranger: %+v", cr)
		}
	}
	// An oversized payload from b (the bus's maximum is 1 MiB): refused, counted.
	ha.b.Attach(7, bus.InboxLimits{})
	ha.b.Subscribe(7, "x", bus.Reliable)
	nc.Publish("orb.n.a.m.b", frame{op: opMessage, kind: uint32(bus.KindPublish), from: 1, topic: "x", payload: make([]byte, 2<<20)}.encode())
	nc.Publish("orb.n.a.m.b", batchOf(frame{op: opMessage, kind: uint32(bus.KindPublish), from: 1, topic: "x"}, frame{op: opMessage, kind: uint32(bus.KindDirect), to: 7}))
	testenv.Eventually(t, func() bool { return a.bad.Load() >= 7 }, 5*time.Second, "bad input counted")
	if in, _ := ha.b.Inbox(7); in.Stats().MsgsIn != 0 {
		t.Fatal("an oversized message was delivered")
	}
	for _, i := range a.Nodes() {
		if i.Name == "huge" {
			t.Fatal("an absurd announcement was taken")
		}
	}
	if len(ha.spawns()) != 0 {
		t.Fatal("a stranger's spawn ran")
	}
	if !upNodes(a, 2) {
		t.Fatal("the cluster stopped working")
	}
	if fi, err := os.Stat(TokenPath(a.cfg.Home)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi.Mode(), err)
	}
}

// TLS (forced on loopback, as it is on elsewhere): members with the token connect and route;
// a client without the cluster's key is refused at the handshake.
func TestClusterTLS(t *testing.T) {
	start := func(name, listen, join string) (*Node, error) {
		return tryConfig(t, Config{Name: name, Listen: listen, Join: join, Host: newFakeHost(), TLS: true})
	}
	a, err := start("a", "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(a.Addr(), "nats://")
	b, err := start("b", "127.0.0.1:0", JoinURL(addr, a.Token()))
	if err != nil {
		t.Fatal(err)
	}
	waitUp(t, 2, a, b)
	if _, err := nats.Connect(a.Addr(), nats.Token(a.Token())); err == nil {
		t.Fatal("a plain-text client was let in")
	}
	other, _ := tlsConfig("anotheranotheranother")
	if nc, err := nats.Connect(a.Addr(), nats.Token(a.Token()), nats.Secure(other)); err == nil {
		nc.Close()
		t.Fatal("a client with another cluster's key was let in")
	}
}
