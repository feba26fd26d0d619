package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/orbital/orbital/internal/testenv"
)

// startInstance starts a long-running `orbital run --headless MODULES...` (no --frames, so it
// serves the admin panel) and returns the panel's URL once the modules run.
func startInstance(t *testing.T, home string, modules ...string) string {
	t.Helper()
	var modDir string
	for _, m := range modules {
		modDir = filepath.Dir(testenv.Module(t, m))
	}
	o := startBackground(t, []string{"ORBITAL_MODULES=" + modDir}, append([]string{"run", "--headless", "--home", home}, modules...)...)
	var wait []string // hello prints and exits at once; wait for the others to run
	for _, m := range modules {
		if m != "hello" {
			wait = append(wait, m)
		}
	}
	urlFile := filepath.Join(home, "run", "admin.url")
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _, _ := client(t, home, "ps")
		if b, err := os.ReadFile(urlFile); err == nil && countRows(out, wait) == len(wait) {
			return strings.TrimSpace(string(b))
		}
		select {
		case <-o.exited:
			t.Fatalf("orbital run exited early:\n%s", o.out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("modules %v not running after 60s; ps:\n%s\nstderr:\n%s", modules, out, o.out.String())
		}
	}
}

// client runs a client verb (ps, kill, logs, admin) against the instance whose home is home.
func client(t *testing.T, home, verb string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return orbitalCmd(t, append([]string{verb, "--home", home}, args...)...)
}

// countRows counts the names in `orbital ps` output that run.
func countRows(ps string, names []string) int {
	n := 0
	for _, name := range names {
		for _, line := range strings.Split(ps, "\n") {
			f := strings.Fields(line)
			if len(f) > 4 && f[1] == name && (f[4] == "running" || f[4] == "blocked") {
				n++
				break
			}
		}
	}
	return n
}

func TestAdminPanelInBrowser(t *testing.T) {
	home := testenv.Home(t)
	url := startInstance(t, home, "clock", "life")

	// Without the token: 401.
	base := url[:strings.Index(url, "/t/")]
	for _, u := range []string{base + "/", base + "/t/wrong/", base + "/t/wrong/api/ps", base + "/metrics"} {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("GET %s: %d, want 401", u, res.StatusCode)
		}
	}
	// With it, /metrics answers in the Prometheus format.
	res, err := http.Get(url + "metrics")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("metrics: %v %v", err, res)
	}
	res.Body.Close()

	ctx := testenv.Browser(t)
	var ok bool
	var uptime1, uptime2, clockPID string
	rowOf := func(name string) string {
		return `Array.from(document.querySelectorAll("#procs tbody tr")).find(r => r.children[1] && r.children[1].textContent === "` + name + `")`
	}
	err = chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.Poll(rowOf("clock")+` && `+rowOf("life")+` && document.querySelector("#live").textContent.startsWith("live")`, &ok, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Evaluate(rowOf("clock")+`.dataset.pid`, &clockPID),
		chromedp.Evaluate(rowOf("clock")+`.children[6].textContent`, &uptime1),
	)
	if err != nil {
		t.Fatalf("panel did not list clock and life: %v", err)
	}
	// Live figures: the uptime column moves on without a reload.
	err = chromedp.Run(ctx,
		chromedp.Poll(rowOf("clock")+`.children[6].textContent !== "`+uptime1+`"`, &ok, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(rowOf("clock")+`.children[6].textContent`, &uptime2),
	)
	if err != nil {
		t.Fatalf("uptime did not update (still %q): %v", uptime1, err)
	}
	// Stop clock from the page; the kernel's process list no longer has it.
	err = chromedp.Run(ctx,
		chromedp.Click(`button[data-act="stop"][data-pid="`+clockPID+`"]`, chromedp.ByQuery),
		chromedp.Poll(`!(`+rowOf("clock")+`)`, &ok, chromedp.WithPollingTimeout(15*time.Second)),
	)
	if err != nil {
		t.Fatalf("clock still listed after Stop: %v", err)
	}
	ps, _, _ := client(t, home, "ps")
	if countRows(ps, []string{"clock"}) != 0 || countRows(ps, []string{"life"}) != 1 {
		t.Fatalf("after Stop on clock, orbital ps shows:\n%s", ps)
	}
	t.Logf("uptime %s -> %s; ps after stop:\n%s", uptime1, uptime2, ps)
}

func TestPsAndKillVerbs(t *testing.T) {
	home := testenv.Home(t)
	if _, e, code := client(t, home, "ps"); code != 1 || !strings.Contains(e, "no running Orbital instance") {
		t.Fatalf("ps with nothing running: code %d, %q", code, e)
	}
	startInstance(t, home, "hello", "life")
	ps, _, _ := client(t, home, "ps")
	var pid string
	for _, line := range strings.Split(ps, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "life" {
			pid = f[0]
		}
	}
	if _, e, code := client(t, home, "kill", "0"); code != 1 || !strings.Contains(e, "protected") {
		t.Fatalf("kill 0: code %d, %q", code, e)
	}
	if _, e, code := client(t, home, "kill", "99"); code != 1 || !strings.Contains(e, "not running") {
		t.Fatalf("kill 99: code %d, %q", code, e)
	}
	if _, e, code := client(t, home, "kill", "x"); code != exitUsage || !strings.Contains(e, "not a pid") {
		t.Fatalf("kill x: code %d, %q", code, e)
	}
	if o, e, code := client(t, home, "logs", pid); code != 0 || !strings.Contains(o, "live cells") {
		t.Fatalf("logs %s: code %d, %q %q", pid, code, o, e)
	}
	// WASI stdout of a module that already exited is kept for the log view too.
	if o, e, code := client(t, home, "logs", "1"); code != 0 || !strings.Contains(o, "stdout hello from orbital") {
		t.Fatalf("logs 1 (hello): code %d, %q %q", code, o, e)
	}
	if o, e, code := client(t, home, "kill", "--force", pid); code != 0 || !strings.Contains(o, "killed pid "+pid) {
		t.Fatalf("kill --force %s: code %d, %q %q", pid, code, o, e)
	}
}
