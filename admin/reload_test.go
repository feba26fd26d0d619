package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
)

// reloadTable is a table that can reload: every process of the named module answers.
type reloadTable struct{ *table }

func (t reloadTable) Reload(_ context.Context, req ReloadRequest) ([]ReloadResult, error) {
	name, version := req.Name, req.Version
	var out []ReloadResult
	for _, p := range t.Processes() {
		if p.Name == name {
			out = append(out, ReloadResult{PID: p.PID, Outcome: "reloaded", Text: fmt.Sprintf("reloaded %s -> %s", p.Version, version)})
		}
	}
	if out == nil {
		return nil, fmt.Errorf("%s: %w", name, ErrModuleNotRunning)
	}
	return out, nil
}

func TestReloadOverControlSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", "control.sock")
	cs, err := ListenControl(path, reloadTable{demoTable()})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	c := ControlClient{Path: path}
	res, err := c.Reload(t.Context(), ReloadRequest{Name: "clock", Version: "2.0.0"})
	if err != nil || len(res) != 1 || res[0].PID != 2 || res[0].Text != "reloaded 1.0.0 -> 2.0.0" {
		t.Fatalf("reload clock: %+v, %v", res, err)
	}
	if _, err := c.Reload(t.Context(), ReloadRequest{Name: "paint"}); !errors.Is(err, ErrModuleNotRunning) {
		t.Fatalf("reload of a module not running: %v, want ErrModuleNotRunning", err)
	}

	plain := filepath.Join(t.TempDir(), "run", "control.sock")
	cs2, err := ListenControl(plain, demoTable())
	if err != nil {
		t.Fatal(err)
	}
	defer cs2.Close()
	if _, err := (ControlClient{Path: plain}).Reload(t.Context(), ReloadRequest{Name: "clock"}); err == nil || !strings.Contains(err.Error(), ErrNoReload.Error()) {
		t.Fatalf("reload on an instance without a Reloader: %v", err)
	}
}

func TestReloadAction(t *testing.T) {
	s := NewServer(reloadTable{demoTable()}, "test")
	base := "/t/" + s.Token() + "/api/reload"
	ok := map[string]string{"X-Orbital-CSRF": s.csrf}
	if w := do(t, s, "POST", base, `{"pid":2}`, nil); w.Code != http.StatusForbidden {
		t.Fatalf("reload without csrf: %d", w.Code)
	}
	w := do(t, s, "POST", base, `{"pid":2}`, ok)
	var d struct {
		Text    string
		Reloads []ReloadResult
	}
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &d) != nil || d.Text != "pid 2: reloaded 1.0.0 -> " || len(d.Reloads) != 1 {
		t.Fatalf("reload pid 2: %d %s", w.Code, w.Body)
	}
	if w := do(t, s, "POST", base, `{"pid":99}`, ok); w.Code != http.StatusNotFound {
		t.Fatalf("reload of a gone pid: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(do(t, s, "GET", "/t/"+s.Token()+"/", "", nil).Body.String(), `data-act="reload" data-pid="2"`) {
		t.Fatal("the page has no Reload button")
	}
	plain := NewServer(demoTable(), "test")
	if w := do(t, plain, "POST", "/t/"+plain.Token()+"/api/reload", `{"pid":2}`, map[string]string{"X-Orbital-CSRF": plain.csrf}); w.Code != http.StatusNotImplemented {
		t.Fatalf("reload without a Reloader: %d %s", w.Code, w.Body)
	}
}

func TestReloadOnBus(t *testing.T) {
	b := bus.New(bus.Config{})
	svc, err := StartService(ServiceConfig{Bus: b}, reloadTable{demoTable()})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ask := func(payload string) map[string]any {
		t.Helper()
		rep, err := b.Request(t.Context(), bus.Message{Topic: TopicReload, Payload: []byte(payload)}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.Unmarshal(rep.Payload, &out); err != nil {
			t.Fatalf("answer is not JSON: %q", rep.Payload)
		}
		return out
	}
	if a := ask(`{"pid":2}`); a["text"] != "pid 2: reloaded 1.0.0 -> " {
		t.Fatalf("sys.reload by pid: %v", a)
	}
	if a := ask(`{"name":"clock","version":"2.0.0"}`); a["text"] != "pid 2: reloaded 1.0.0 -> 2.0.0" {
		t.Fatalf("sys.reload by name: %v", a)
	}
	if a := ask(`{"pid":2,"wait":false}`); a["started"] != true || a["name"] != "clock" {
		t.Fatalf("sys.reload without waiting: %v", a)
	}
	if a := ask(`{}`); !strings.Contains(a["error"].(string), "payload must be JSON") {
		t.Fatalf("sys.reload without a module: %v", a)
	}
}

func TestReloadShown(t *testing.T) {
	tb := demoTable()
	tb.procs[1].Reload = "rolled back 1.0.0 -> 2.0.0: trap: unreachable; back to 1.0.0"
	var buf strings.Builder
	WriteTable(&buf, tb.procs, time.Now())
	if !strings.Contains(buf.String(), "\npid 2 clock: rolled back 1.0.0 -> 2.0.0: trap: unreachable; back to 1.0.0\n") {
		t.Fatalf("orbital ps does not show the reload:\n%s", buf.String())
	}
	s := NewServer(tb, "test")
	if body := do(t, s, "GET", "/t/"+s.Token()+"/", "", nil).Body.String(); !strings.Contains(body, `title="rolled back 1.0.0 -&gt; 2.0.0`) {
		t.Fatal("the panel does not show the reload")
	}
}

// TestReloadInBrowser: the panel's Reload button posts the action and shows the outcome.
func TestReloadInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	s := NewServer(reloadTable{demoTable()}, "browser test")
	l, err := s.Listen("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := testenv.Browser(t)
	var ok bool
	var msg string
	err = chromedp.Run(ctx,
		chromedp.Navigate(l.URL),
		chromedp.Poll(`document.querySelector("#live").textContent.startsWith("live")`, &ok, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Click(`button[data-act="reload"][data-pid="2"]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector("#msg").textContent !== ""`, &ok, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text(`#msg`, &msg, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(msg) != "pid 2: reloaded 1.0.0 ->" {
		t.Fatalf("message after Reload: %q", msg)
	}
}
