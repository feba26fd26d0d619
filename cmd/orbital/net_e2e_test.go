package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbital/orbital/internal/testenv"
)

// TestNetFetchPolicy runs the fetch module through the real binary against two HTTP servers on
// 127.0.0.1: the one its policy lists answers; the other, and a redirect to it, are refused,
// named in the message and recorded in `orbital audit`; editing the policy to allow the second
// server lets the next run reach it.
func TestNetFetchPolicy(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "other server") }))
	defer other.Close()
	allowed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, other.URL+"/", http.StatusFound)
			return
		}
		w.Header().Set("X-Served-By", "allowed")
		fmt.Fprintf(w, "hello %s %s", r.Method, r.Header.Get("X-Who"))
	}))
	defer allowed.Close()
	addr, otherAddr := strings.TrimPrefix(allowed.URL, "http://"), strings.TrimPrefix(other.URL, "http://")

	home := testenv.Home(t)
	policy := filepath.Join(home, "policies", "fetch.toml")
	writeFile(t, policy, "[module]\nmatch = \"fetch\"\n[net]\nallow = [\""+addr+"\"]\n")
	fetch := testenv.Module(t, "fetch")

	out, errOut, code := orbitalCmd(t, "run", "--home", home, fetch, "--", "-i", "-H", "X-Who: e2e", allowed.URL+"/hi")
	if code != 0 || !strings.Contains(out, "HTTP 200") || !strings.Contains(out, "X-Served-By: allowed") || !strings.HasSuffix(strings.TrimSpace(out), "hello GET e2e") {
		t.Fatalf("granted fetch: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, url := range []string{other.URL + "/", allowed.URL + "/away"} {
		out, errOut, code = orbitalCmd(t, "run", "--home", home, fetch, "--", url)
		if code != 3 || !strings.Contains(errOut, "ERR_DENIED") || strings.Contains(out, "other server") {
			t.Fatalf("fetch %s: exit %d, want 3 (denied)\nstdout:\n%s\nstderr:\n%s", url, code, out, errOut)
		}
	}
	out, _, code = orbitalCmd(t, "audit", "--home", home, "--module", "fetch")
	if code != 0 || strings.Count(out, otherAddr) != 2 || !strings.Contains(out, "net") {
		t.Fatalf("audit should list two net denials of %s:\n%s", otherAddr, out)
	}
	writeFile(t, policy, "[module]\nmatch = \"fetch\"\n[net]\nallow = [\""+addr+"\", \""+otherAddr+"\"]\n")
	out, errOut, code = orbitalCmd(t, "run", "--home", home, fetch, "--", allowed.URL+"/away")
	if code != 0 || strings.TrimSpace(out) != "other server" {
		t.Fatalf("after granting %s: exit %d\nstdout:\n%s\nstderr:\n%s", otherAddr, code, out, errOut)
	}
}
