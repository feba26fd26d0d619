package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/internal/testenv"
)

// clusterNode is one `orbital up` of the three-node test.
type clusterNode struct {
	name, home string
	up         *upProc
}

// startNode runs `orbital up --node name` with the cluster flags in args.
func startNode(t *testing.T, name, home string, args ...string) *clusterNode {
	t.Helper()
	u := launchUp(t, "node "+name, append([]string{"--home", home, "--node", name}, args...),
		[]string{"ORBITAL_MODULES=" + filepath.Dir(testenv.Module(t, "pinger"))})
	testenv.Eventually(t, func() bool {
		select {
		case <-u.exited:
			t.Fatalf("node %s exited early:\n%s", name, u.out.String())
		default:
		}
		return strings.Contains(u.out.String(), "running (pid")
	}, 60*time.Second, "node %s to start", name)
	return &clusterNode{name: name, home: home, up: u}
}

// nodes is `orbital nodes --json` on n: name -> state.
func (n *clusterNode) nodes(t *testing.T) map[string]string {
	t.Helper()
	out, errOut, code := orbitalCmd(t, "nodes", "--json", "--home", n.home)
	if code != 0 {
		t.Fatalf("orbital nodes on %s: %d %s", n.name, code, errOut)
	}
	var list []admin.Node
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("orbital nodes --json: %v\n%s", err, out)
	}
	m := map[string]string{}
	for _, i := range list {
		m[i.Name] = i.State
	}
	return m
}

func sameStates(got map[string]string, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// TestClusterThreeNodes is issue 15's end to end: three homes, three `orbital up` on
// loopback. a seeds the cluster, b routes its own server to a's and runs the camera driver,
// c joins b as a client. pinger on c completes round trips with ponger (a restart = "always"
// boot service) on a; `orbital spawn --any --need driver=camera camera-viewer` from a lands
// on b, which fetches the signed module from a; every node's `orbital nodes` agrees; a
// SIGKILL of a is seen as lost on b and c within 5 s, ponger starts again on another node,
// and pinger's round trips work again. `orbital call weather.today` on c is served by b, the
// only node with the weather service. A wrong token and a taken name are refused at the door.
func TestClusterThreeNodes(t *testing.T) {
	ha, hb, hc := testenv.FreshHome(t), testenv.FreshHome(t), testenv.FreshHome(t)
	// One compile cache for the three homes while they run (entries are keyed by content and
	// written atomically): each module is compiled once, not once per node. It is a Home's, so
	// it shares with the other tests of the binary as every Home does.
	shared := filepath.Join(testenv.Home(t), "cache", "compiled")
	for _, h := range []string{ha, hb, hc} {
		for _, err := range []error{os.MkdirAll(shared, 0o755), os.MkdirAll(filepath.Join(h, "cache"), 0o755),
			os.Symlink(shared, filepath.Join(h, "cache", "compiled"))} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	always := func(boot string) func(string) string {
		return func(m string) string {
			return strings.Replace(m, "entry = \"ponger.wasm\"", "entry = \"ponger.wasm\"\nrestart = \"always\"\n"+boot, 1)
		}
	}
	// ponger runs on a from boot; b and c have it installed, to take it over.
	mustRun(t, "install", "-q", "--home", ha, moduleDir(t, "ponger", always("\n[triggers]\nboot = true\n")))
	for _, h := range []string{hb, hc} {
		mustRun(t, "install", "-q", "--home", h, moduleDir(t, "ponger", always("")))
	}
	viewer := filepath.Join(t.TempDir(), "camera-viewer.tar.gz")
	mustRun(t, "sign", "--home", ha, "-o", viewer, moduleDir(t, "camera-viewer", nil))
	mustRun(t, "install", "-q", "--home", ha, viewer)
	mustRun(t, "registry", "trust", "--home", hb, strings.TrimSpace(mustRun(t, "registry", "key", "--home", ha)))
	mustRun(t, "install", "-q", "--home", hb, cameraPackage(t, true))
	installDemo(t, hb, "weather")

	a := startNode(t, "a", ha, "--cluster-listen", "127.0.0.1:0")
	join := strings.TrimSpace(mustRun(t, "cluster", "token", "--home", ha))
	if !regexp.MustCompile(`^nats://[0-9a-f]{48}@127\.0\.0\.1:\d+$`).MatchString(join) {
		t.Fatalf("orbital cluster token: %q", join)
	}
	b := startNode(t, "b", hb, "--cluster-listen", "127.0.0.1:0", "--join", join)
	c := startNode(t, "c", hc, "--join", strings.TrimSpace(mustRun(t, "cluster", "token", "--home", hb)))
	all := []*clusterNode{a, b, c}
	up3 := map[string]string{"a": "up", "b": "up", "c": "up"}
	for _, n := range all {
		testenv.Eventually(t, func() bool { return sameStates(n.nodes(t), up3) }, 15*time.Second, "orbital nodes on %s to list a, b, c up", n.name)
	}

	// Bad input at the door: a wrong token, a taken name; each refused with the reason, and
	// the cluster goes on (checked by everything below).
	wrong := regexp.MustCompile(`//[0-9a-f]+@`).ReplaceAllString(join, "//0123456789abcdef0123456789abcdef@")
	for _, tc := range []struct{ name, join, want string }{
		{"d", wrong, "wrong cluster credentials"},
		{"b", join, "a node named b is already up"},
	} {
		_, errOut, code := orbitalCmd(t, "up", "--home", testenv.Home(t), "--node", tc.name, "--join", tc.join)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Fatalf("orbital up --node %s --join %s: exit %d, %s; want %q", tc.name, tc.join, code, errOut, tc.want)
		}
	}

	// The admin panel of b: its nodes table and the node column's rows.
	panel := strings.TrimSpace(mustRun(t, "admin", "--home", hb))
	var api struct {
		Nodes []admin.Node `json:"nodes"`
		Procs []admin.Proc `json:"procs"`
	}
	getJSON(t, panel+"api/nodes", &api)
	getJSON(t, panel+"api/ps?cluster=1", &api)
	nodeRows := map[string]bool{}
	for _, p := range api.Procs {
		nodeRows[p.Node] = true
	}
	if len(api.Nodes) != 3 || !nodeRows["a"] || !nodeRows["b"] {
		t.Fatalf("panel of b: nodes %+v, rows of nodes %v", api.Nodes, nodeRows)
	}

	// pinger on c, ponger on a.
	ping := func(want string) {
		t.Helper()
		before := strings.Count(c.up.out.String(), "round trips on ponger.ping")
		mustRun(t, "spawn", "--home", hc, "pinger", "--", "-n", "200", "-stop=false", "-wait", "20s")
		testenv.Eventually(t, func() bool { return strings.Count(c.up.out.String(), "round trips on ponger.ping") > before }, 30*time.Second,
			"pinger on c to finish its round trips (%s)", want)
	}
	ping("ponger on a")
	if out := mustRun(t, "ps", "--cluster", "--home", hc); !regexp.MustCompile(`(?m)^a\s+\d+\s+ponger\s`).MatchString(out) {
		t.Fatalf("orbital ps --cluster on c does not show ponger on a:\n%s", out)
	}

	// A call by name from c reaches weather, installed on b only.
	if out, errOut, code := orbitalCmd(t, "call", "--home", hc, "--timeout", "25s", "weather.today", "Paris"); code != 0 || !strings.HasPrefix(out, "Paris, ") {
		t.Fatalf("orbital call weather.today on c: %d %q %s", code, out, errOut)
	}

	// The camera-viewer lands on the node with the camera driver.
	out := mustRun(t, "spawn", "--home", ha, "--any", "--need", "driver=camera", "camera-viewer")
	if !strings.Contains(out, "started on node b") {
		t.Fatalf("spawn --any --need driver=camera: %s", out)
	}
	testenv.Eventually(t, func() bool {
		o, _, _ := orbitalCmd(t, "ps", "--home", hb)
		return regexp.MustCompile(`camera-viewer\s+1\.0\.0\s+\S+\s+(running|blocked)`).MatchString(o)
	}, 20*time.Second, "camera-viewer running on b")

	// SIGKILL a: lost on b and c within 5 s; ponger moves; round trips again.
	a.up.cmd.Process.Signal(syscall.SIGKILL)
	killed := time.Now()
	lost := map[string]string{"a": "lost", "b": "up", "c": "up"}
	for _, n := range []*clusterNode{b, c} {
		testenv.Eventually(t, func() bool { return n.nodes(t)["a"] == "lost" }, 10*time.Second, "a lost on %s", n.name)
	}
	d := time.Since(killed)
	if d > 5*time.Second+time.Second { // + one poll of orbital nodes on a loaded machine
		t.Fatalf("a was seen lost %v after the SIGKILL, want within 5 s", d)
	}
	t.Logf("a seen lost on b and c %v after its SIGKILL", d.Round(time.Millisecond))
	testenv.Eventually(t, func() bool {
		o, _, _ := orbitalCmd(t, "ps", "--cluster", "--home", hb)
		return regexp.MustCompile(`(?m)^[bc]\s+\d+\s+ponger\s+\S+\s+(running|blocked)`).MatchString(o)
	}, 20*time.Second, "ponger started again on b or c")
	ping("ponger moved")
	for _, n := range []*clusterNode{b, c} {
		if got := n.nodes(t); !sameStates(got, lost) {
			t.Fatalf("orbital nodes on %s: %v, want %v", n.name, got, lost)
		}
	}
}

// getJSON decodes the JSON answer of a GET of url into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, r.Status)
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// TestSpawnWithoutCluster: orbital spawn on an instance that is not a node starts the module
// there; placement flags are refused with the reason; orbital nodes says there is no cluster.
func TestSpawnWithoutCluster(t *testing.T) {
	home := testenv.Home(t)
	startUp(t, home, "ORBITAL_MODULES="+filepath.Dir(testenv.Module(t, "hello")))
	if out := mustRun(t, "spawn", "--home", home, "hello"); !regexp.MustCompile(`^hello started: pid \d+\n$`).MatchString(out) {
		t.Fatalf("orbital spawn hello: %q", out)
	}
	for _, args := range [][]string{{"spawn", "--any", "hello"}, {"nodes"}} {
		_, errOut, code := orbitalCmd(t, append(append(args[:1:1], "--home", home), args[1:]...)...)
		if code == 0 || !strings.Contains(errOut, "not a node of a cluster") {
			t.Fatalf("orbital %v without a cluster: exit %d, %s", args, code, errOut)
		}
	}
}
