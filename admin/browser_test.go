package admin

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/orbital/orbital/internal/testenv"
)

// TestPageInBrowser drives the panel's own script in headless chromium: the table renders,
// sorting by a column reorders it, and Stop sends a CSRF-protected POST the controller sees.
// The end-to-end test with the real binary is in cmd/orbital.
func TestPageInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	tb := demoTable()
	s := NewServer(tb, "browser test")
	l, err := s.Listen("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := testenv.Browser(t)
	var first string
	var ok bool
	err = chromedp.Run(ctx,
		chromedp.Navigate(l.URL),
		chromedp.WaitVisible(`#live`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector("#live").textContent.startsWith("live")`, &ok, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Click(`th[data-k="name"]`, chromedp.ByQuery),
		chromedp.Click(`th[data-k="name"]`, chromedp.ByQuery), // descending
		chromedp.Text(`#procs tbody tr:first-child td:nth-child(2)`, &first, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	if first != "shell" {
		t.Fatalf("first row after sorting by name descending = %q, want shell", first)
	}
	err = chromedp.Run(ctx,
		chromedp.Click(`button[data-act="stop"][data-pid="2"]`, chromedp.ByQuery),
		chromedp.Poll(`!document.querySelector('tr[data-pid="2"]')`, &ok, chromedp.WithPollingTimeout(10*time.Second)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tb.actions, ","); got != "stop 2" {
		t.Fatalf("controller saw %q, want stop 2", got)
	}
	var disabled bool
	err = chromedp.Run(ctx,
		chromedp.Click(`button[data-act="kill"][data-pid="3"]`, chromedp.ByQuery),
		chromedp.Poll(`!document.querySelector('tr[data-pid="3"]')`, &ok, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`document.querySelector('button[data-act="kill"][data-pid="1"]').disabled`, &disabled),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tb.actions, ","); got != "stop 2,kill 3" {
		t.Fatalf("controller saw %q, want stop 2,kill 3", got)
	}
	if !disabled {
		t.Fatal("the shell's Kill button is enabled; protected rows must not offer it")
	}
}
