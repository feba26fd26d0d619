package main

import (
	"strings"
	"testing"
	"time"
)

func TestPageShowsBothStates(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	checks := []Check{{Time: t0, Up: true, Status: 200, MS: 3}, {Time: t0.Add(time.Second), Status: 503, MS: 2}, {Time: t0.Add(2 * time.Second), Error: "connection refused"}}
	s := summarize("http://127.0.0.1:1/<x>", checks)
	if s.Up || s.Checks != 3 || s.Uptime < 0.33 || s.Uptime > 0.34 {
		t.Fatalf("%+v", s)
	}
	p := page([]URLStatus{s}, time.Second, t0)
	for _, want := range []string{`class="state down">DOWN`, `<rect class="up"`, `<rect class="down"`, "&lt;x&gt;", "connection refused", "33% up"} {
		if !strings.Contains(p, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if got := parseURLs("# mine\nhttp://a/\n\n  http://b/  \n"); len(got) != 2 || got[1] != "http://b/" {
		t.Errorf("urls %q", got)
	}
	if parseInterval([]byte("5")) != 5*time.Second || parseInterval([]byte("x")) != 30*time.Second {
		t.Error("interval")
	}
	if !strings.HasPrefix(checkKey("u", t0), "h/") || len(checkKey("u", t0)) != len("h/")+16+1+20 {
		t.Errorf("key %q", checkKey("u", t0))
	}
}
