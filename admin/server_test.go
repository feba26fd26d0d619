package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// table is a Controller over a fixed process table; it records the actions it was asked for.
type table struct {
	mu      sync.Mutex
	procs   []Proc
	actions []string
}

func (t *table) Processes() []Proc {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Proc(nil), t.procs...)
}

func (t *table) find(pid uint32) (int, error) {
	for i, p := range t.procs {
		if p.PID == pid {
			if p.Protected {
				return i, fmt.Errorf("pid %d is the shell: %w", pid, ErrProtected)
			}
			return i, nil
		}
	}
	return 0, fmt.Errorf("pid %d: %w", pid, ErrNoProcess)
}

func (t *table) do(op string, pid uint32) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	i, err := t.find(pid)
	if err != nil {
		return err
	}
	t.actions = append(t.actions, fmt.Sprintf("%s %d", op, pid))
	if op != "restart" {
		t.procs = append(t.procs[:i], t.procs[i+1:]...)
	}
	return nil
}

func (t *table) Stop(pid uint32) error    { return t.do("stop", pid) }
func (t *table) Kill(pid uint32) error    { return t.do("kill", pid) }
func (t *table) Restart(pid uint32) error { return t.do("restart", pid) }
func (t *table) Logs(pid uint32, n int) ([]LogLine, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := t.find(pid); err != nil && !strings.Contains(err.Error(), "shell") {
		return nil, err
	}
	return []LogLine{{Time: time.Unix(1, 0), Stream: "stdout", Text: fmt.Sprintf("line of %d", pid)}}, nil
}

func demoTable() *table {
	start := time.Now().Add(-90 * time.Second)
	return &table{procs: []Proc{
		{PID: 1, Name: "shell", Kind: "app", State: "running", Started: start, Protected: true},
		{PID: 2, Name: "clock", Version: "1.0.0", Kind: "app", State: "running", Started: start, CPU: 2 * time.Second, Memory: 3 << 20, Grants: []string{"ui.windows"}},
		{PID: 3, Name: `<script>alert("x")</script>`, Kind: "app", State: "blocked", Started: start},
	}}
}

func do(t *testing.T, s *Server, method, path, body string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func TestTokenRequired(t *testing.T) {
	s := NewServer(demoTable(), "test")
	for _, p := range []string{"/", "/t/", "/t/wrong/", "/t/" + s.Token()[:10] + "/", "/metrics", "/t/wrong/api/ps", "/t/wrong/metrics"} {
		if w := do(t, s, "GET", p, "", nil); w.Code != http.StatusUnauthorized {
			t.Errorf("GET %s: status %d, want 401", p, w.Code)
		}
	}
	if w := do(t, s, "GET", "/t/"+s.Token()+"/", "", nil); w.Code != http.StatusOK {
		t.Fatalf("GET with token: status %d: %s", w.Code, w.Body)
	}
}

func TestPageEscapesAndListsRows(t *testing.T) {
	s := NewServer(demoTable(), "test")
	w := do(t, s, "GET", "/t/"+s.Token()+"/", "", nil)
	body := w.Body.String()
	if strings.Contains(body, `<script>alert("x")`) {
		t.Fatal("module name was not escaped")
	}
	for _, want := range []string{"clock", "&lt;script&gt;", `data-pid="2"`, "3.0MiB", "ui.windows"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestActionsNeedCSRF(t *testing.T) {
	tb := demoTable()
	s := NewServer(tb, "test")
	base := "/t/" + s.Token() + "/api/"
	ok := map[string]string{"X-Orbital-CSRF": s.csrf}
	cases := []struct {
		name, path, body string
		hdr              map[string]string
		code             int
	}{
		{"no csrf", "stop", `{"pid":2}`, nil, 403},
		{"wrong csrf", "stop", `{"pid":2}`, map[string]string{"X-Orbital-CSRF": "nope"}, 403},
		{"cross origin", "stop", `{"pid":2}`, map[string]string{"X-Orbital-CSRF": s.csrf, "Origin": "http://evil.example"}, 403},
		{"bad body", "stop", `pid=2`, ok, 400},
		{"unknown action", "frob", `{"pid":2}`, ok, 404},
		{"gone pid", "kill", `{"pid":99}`, ok, 404},
		{"protected", "kill", `{"pid":1}`, ok, 403},
		{"stop", "stop", `{"pid":2}`, ok, 200},
		{"stop again", "stop", `{"pid":2}`, ok, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := do(t, s, "POST", base+c.path, c.body, c.hdr)
			if w.Code != c.code {
				t.Fatalf("status %d, want %d: %s", w.Code, c.code, w.Body)
			}
			if c.code != 200 {
				var e map[string]string
				if json.Unmarshal(w.Body.Bytes(), &e) != nil || e["error"] == "" {
					t.Fatalf("error answer has no message: %s", w.Body)
				}
			}
		})
	}
	if got := strings.Join(tb.actions, ","); got != "stop 2" {
		t.Fatalf("actions = %q, want only %q", got, "stop 2")
	}
	if w := do(t, s, "GET", base+"stop", "", ok); w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET on an action: %d, want 405", w.Code)
	}
}

func TestAPIAndMetrics(t *testing.T) {
	s := NewServer(demoTable(), "test")
	w := do(t, s, "GET", "/t/"+s.Token()+"/api/ps", "", nil)
	var d struct{ Procs []Proc }
	if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil || len(d.Procs) != 3 {
		t.Fatalf("api/ps: %v %s", err, w.Body)
	}
	w = do(t, s, "GET", "/t/"+s.Token()+"/api/logs?pid=2", "", nil)
	if !strings.Contains(w.Body.String(), "line of 2") {
		t.Fatalf("logs: %s", w.Body)
	}
	if w = do(t, s, "GET", "/t/"+s.Token()+"/api/logs?pid=x", "", nil); w.Code != 400 {
		t.Fatalf("logs bad pid: %d", w.Code)
	}
	w = do(t, s, "GET", "/t/"+s.Token()+"/metrics", "", nil)
	m := w.Body.String()
	for _, want := range []string{
		"# TYPE orbital_process_cpu_seconds_total counter",
		`orbital_process_cpu_seconds_total{pid="2",name="clock",kind="app"} 2`,
		`orbital_process_memory_bytes{pid="2",name="clock",kind="app"} 3.145728e+06`,
		`name="<script>alert(\"x\")</script>"`,
		"orbital_processes 3",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
}

func TestListenLoopbackOnlyAndURLFile(t *testing.T) {
	s := NewServer(demoTable(), "test")
	if _, err := s.Listen("0.0.0.0:0", ""); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("listen on all interfaces: err = %v, want a loopback refusal", err)
	}
	file := filepath.Join(t.TempDir(), "run", "admin.url")
	l, err := s.Listen("127.0.0.1:0", file)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("url file: %v mode %v, want 0600", err, st.Mode().Perm())
	}
	b, _ := os.ReadFile(file)
	if strings.TrimSpace(string(b)) != l.URL {
		t.Fatalf("url file has %q, want %q", b, l.URL)
	}
	res, err := http.Get(l.URL + "api/ps")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET over TCP: %v %v", err, res)
	}
	res.Body.Close()
	res, err = http.Get(strings.Replace(l.URL, s.Token(), "x", 1))
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("GET without token over TCP: %v %v", err, res)
	}
	res.Body.Close()
	l.Close()
	l.Close()
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("url file left after Close: %v", err)
	}
}

func TestControlSocket(t *testing.T) {
	tb := demoTable()
	path := filepath.Join(t.TempDir(), "run", "control.sock")
	cs, err := ListenControl(path, tb)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", err, st.Mode())
	}
	if _, err := ListenControl(path, tb); err == nil || !strings.Contains(err.Error(), "another Orbital instance") {
		t.Fatalf("second instance on the same home: %v", err)
	}
	c := ControlClient{Path: path}
	ctx := t.Context()
	procs, _, err := c.Processes(ctx)
	if err != nil || len(procs) != 3 {
		t.Fatalf("ps: %v %v", procs, err)
	}
	var buf bytes.Buffer
	WriteTable(&buf, procs, time.Now())
	if !strings.Contains(buf.String(), "clock") || !strings.Contains(buf.String(), "PID") {
		t.Fatalf("table:\n%s", buf.String())
	}
	if err := c.Do(ctx, "kill", 1); err == nil || !strings.Contains(err.Error(), "protected") {
		t.Fatalf("kill shell: %v", err)
	}
	if err := c.Do(ctx, "kill", 2); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "kill", 2); err == nil || !strings.Contains(err.Error(), "no such process") {
		t.Fatalf("kill gone pid: %v", err)
	}
	cs.Close()
	if _, _, err := c.Processes(ctx); err == nil {
		t.Fatal("ps after close succeeded")
	}
}

func TestSamplerCPUPercent(t *testing.T) {
	tb := &table{procs: []Proc{{PID: 5, Started: time.Unix(100, 0), CPU: 1 * time.Second}}}
	s := NewSampler(tb)
	clock := time.Unix(110, 0)
	s.now = func() time.Time { return clock }
	if got := s.Processes()[0].CPUPct; got < 9.99 || got > 10.01 {
		t.Fatalf("first sample %.2f%%, want the 10%% average since start", got)
	}
	clock = clock.Add(2 * time.Second)
	tb.procs[0].CPU += time.Second
	if got := s.Processes()[0].CPUPct; got < 49.9 || got > 50.1 {
		t.Fatalf("second sample %.2f%%, want 50%%", got)
	}
}
