package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/orbital/orbital/internal/testenv"
)

// The watchdog demo through the real binary: orbital up serves its page while it checks a
// local server that goes up and down; headless Chromium sees both states; the history
// survives a kill -9 of the instance, and a live backup restored into a wiped home.

type watchStatus struct {
	URLs []struct {
		URL     string `json:"url"`
		History []struct {
			T  time.Time `json:"t"`
			Up bool      `json:"up"`
		} `json:"history"`
	} `json:"urls"`
}

// checks returns the watchdog's history of its one URL as "time up|down" lines, nil on error.
// The instance's address is read from run/http.url each time: a restarted instance has a new
// one.
func checks(home string) []string {
	b, _ := os.ReadFile(filepath.Join(home, "run", "http.url"))
	resp, err := http.Get(strings.TrimSpace(string(b)) + "/watchdog/api/status")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var s watchStatus
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&s) != nil || len(s.URLs) != 1 {
		return nil
	}
	var out []string
	for _, c := range s.URLs[0].History {
		out = append(out, fmt.Sprintf("%s %v", c.T.Format(time.RFC3339Nano), c.Up))
	}
	return out
}

func httpURL(t *testing.T, home string) string {
	t.Helper()
	var u string
	testenv.Eventually(t, func() bool {
		b, err := os.ReadFile(filepath.Join(home, "run", "http.url"))
		u = strings.TrimSpace(string(b))
		return err == nil && u != ""
	}, 20*time.Second, "run/http.url")
	return u
}

// hasAll reports whether got holds every line of want.
func hasAll(got, want []string) bool {
	set := map[string]bool{}
	for _, g := range got {
		set[g] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

func stopUp(t *testing.T, u *upProc) {
	t.Helper()
	u.cmd.Process.Signal(os.Interrupt)
	select {
	case <-u.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("orbital up did not stop on SIGINT")
	}
}

// pageStates loads the status page in Chromium and counts the chart's up and down bars.
func pageStates(t *testing.T, base string) (up, down int, text string) {
	t.Helper()
	ctx := testenv.Browser(t)
	err := chromedp.Run(ctx, chromedp.Navigate(base+"/watchdog/"),
		chromedp.WaitVisible("svg.chart", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("svg.chart rect.up").length`, &up),
		chromedp.Evaluate(`document.querySelectorAll("svg.chart rect.down").length`, &down),
		chromedp.Text("body", &text, chromedp.ByQuery))
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return up, down, text
}

func TestWatchdogE2E(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	}))
	defer target.Close()
	home := testenv.Home(t)
	pkg := t.TempDir()
	man, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "modules", "watchdog", "module.toml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(pkg, "module.toml"), strings.Replace(string(man), `"@every 30s"`, `"@every 1s"`, 1))
	wasm, _ := os.ReadFile(testenv.Module(t, "watchdog"))
	os.WriteFile(filepath.Join(pkg, "watchdog.wasm"), wasm, 0o644)
	if _, errOut, code := orbitalCmd(t, "install", "--home", home, pkg); code != 0 {
		t.Fatalf("install: %s", errOut)
	}
	hostport := strings.TrimPrefix(target.URL, "http://")
	writeFile(t, filepath.Join(home, "policies", "watchdog.toml"), `[module]
match = "watchdog"
[net]
allow = ["`+hostport+`"]
[regions]
max = 16
bytes = "64MiB"
[storage]
kv = "1MiB"
[http]
routes = ["/watchdog/"]
`)
	for _, kv := range [][2]string{{"config/urls", target.URL + "/health"}, {"config/interval", "1"}} {
		if _, errOut, code := orbitalCmd(t, "kv", "--home", home, "watchdog", "put", kv[0], kv[1]); code != 0 {
			t.Fatalf("kv put: %s", errOut)
		}
	}

	u := startUp(t, home)
	base := httpURL(t, home)
	var seen []string
	testenv.Eventually(t, func() bool { seen = checks(home); return strings.Contains(strings.Join(seen, "\n"), " true") }, 30*time.Second, "an up check")
	healthy.Store(false)
	testenv.Eventually(t, func() bool {
		seen = checks(home)
		return len(seen) > 0 && strings.HasSuffix(seen[len(seen)-1], " false")
	}, 30*time.Second, "a down check")
	if up, down, text := pageStates(t, base); up == 0 || down == 0 || !strings.Contains(text, "DOWN") || !strings.Contains(text, "UP") {
		t.Fatalf("page: %d up bars, %d down bars:\n%s", up, down, text)
	}
	if resp, err := http.Get(base + "/nothing/"); err != nil || resp.StatusCode != 404 {
		t.Fatalf("no route: %v %v", resp, err)
	}
	checkPanelStorage(t, home)

	// kill -9: every check the page showed is still there after a restart.
	before := checks(home)
	u.cmd.Process.Kill()
	<-u.exited
	healthy.Store(true)
	u = startUp(t, home)
	testenv.Eventually(t, func() bool { return hasAll(checks(home), before) }, 30*time.Second, "the history before kill -9")

	// A backup taken while it runs, restored into a wiped home, serves the same history.
	snapshot := checks(home)
	archive := filepath.Join(t.TempDir(), "home.tar.gz")
	if out, errOut, code := orbitalCmd(t, "backup", "--home", home, archive); code != 0 {
		t.Fatalf("backup: %s%s", out, errOut)
	}
	stopUp(t, u)
	if err := os.RemoveAll(home); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := orbitalCmd(t, "restore", "--home", home, archive); code != 0 || !strings.Contains(out, "restored") {
		t.Fatalf("restore: %s%s", out, errOut)
	}
	healthy.Store(false)
	startUp(t, home)
	testenv.Eventually(t, func() bool { return hasAll(checks(home), snapshot) }, 30*time.Second, "the history after restore")
	base = httpURL(t, home)
	if up, down, _ := pageStates(t, base); up == 0 || down == 0 {
		t.Fatalf("restored page: %d up bars, %d down bars", up, down)
	}
}

// checkPanelStorage: the admin panel's page shows the watchdog's storage use and quota, in
// Chromium (the rows its script draws from api/ps).
func checkPanelStorage(t *testing.T, home string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "run", "admin.url"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testenv.Browser(t)
	var cell string
	err = chromedp.Run(ctx, chromedp.Navigate(strings.TrimSpace(string(b))),
		chromedp.Poll(`(() => { for (const tr of document.querySelectorAll("#procs tbody tr")) {
			if (tr.children[1] && tr.children[1].textContent === "watchdog") { const c = tr.querySelector("td.storage").textContent; if (c.endsWith(" / 1.0MiB") && !c.startsWith("0B")) return c; } }
			return false; })()`, &cell, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("admin panel storage column: %v", err)
	}
}
