package cluster

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// freePort is a TCP port nobody listens on just now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A node listening on every interface must say where peers reach it (--cluster-advertise):
// without it, or with an unspecified address, it is refused with what to pass; with it, that
// address is what the node announces and what a joining node routes to.
func TestAdvertise(t *testing.T) {
	for _, c := range []struct{ listen, adv, want string }{
		{"0.0.0.0:0", "", "pass --cluster-advertise HOST:PORT"},
		{"[::]:0", "", "pass --cluster-advertise HOST:PORT"},
		{":4222", "", "pass --cluster-advertise HOST:PORT"},
		{"0.0.0.0:0", "0.0.0.0:4222", "not an unspecified one"},
		{"0.0.0.0:0", "example.org", "want HOST:PORT"},
		{"0.0.0.0:0", "example.org:0", "port must be"},
		{"", "example.org:4222", "give --cluster-listen"},
	} {
		cfg := Config{Name: "a", Listen: c.listen, Advertise: c.adv, Join: "nats://127.0.0.1:1", Home: t.TempDir(), Host: newFakeHost()}
		if c.listen != "" {
			cfg.Join = ""
		}
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("listen %q advertise %q: %v, want %q", c.listen, c.adv, err, c.want)
		}
	}

	port := strconv.Itoa(freePort(t))
	adv := "127.0.0.1:" + port
	a, err := tryConfig(t, Config{Name: "a", Listen: "0.0.0.0:" + port, Advertise: adv, Host: newFakeHost()})
	if err != nil {
		t.Fatal(err)
	}
	if a.Addr() != "nats://"+adv {
		t.Fatalf("a announces %s, want nats://%s", a.Addr(), adv)
	}
	// The route address a node's server gives other servers (its INFO's ip, which they
	// gossip) is on the advertised host too, not the listen host. (A node on loopback, whose
	// routes are not TLS: a TLS route shakes hands before its INFO.)
	cport := strconv.Itoa(freePort(t))
	l, err := tryConfig(t, Config{Name: "l", Listen: "127.0.0.1:" + cport, Advertise: "localhost:" + cport, Host: newFakeHost()})
	if err != nil {
		t.Fatal(err)
	}
	rport := l.srv.s.ClusterAddr().Port
	rc, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(rport)))
	if err != nil {
		t.Fatal(err)
	}
	rc.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(rc).ReadString('\n')
	rc.Close()
	var info struct {
		IP string `json:"ip"`
	}
	if err != nil || !strings.HasPrefix(line, "INFO ") || json.Unmarshal([]byte(line[len("INFO "):]), &info) != nil {
		t.Fatalf("l's route port said %q (%v)", line, err)
	}
	if want := fmt.Sprintf("nats-route://localhost:%d/", rport); info.IP != want {
		t.Fatalf("l's server gives its route address as %q, want %q", info.IP, want)
	}
	// a's server is TLS (it listens beyond loopback): b, joining at a loopback address, is told.
	b, err := tryConfig(t, Config{Name: "b", Listen: "127.0.0.1:0", Join: JoinURL(adv, a.Token()), TLS: true, Host: newFakeHost()})
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, func() bool { return upNodes(b, 2) && upNodes(a, 2) }, 10*time.Second, "a and b to see each other up")
	for _, i := range b.Nodes() {
		if i.Name == "a" && i.Addr != "nats://"+adv {
			t.Fatalf("b sees a at %s, want nats://%s", i.Addr, adv)
		}
	}
}
