package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/internal/testenv"
)

// Services by name through the real binary: orbital up with the weather demo (a reactor
// service, two instances) and the forecast app that calls it; svcprobe, a command module
// looping in sdk.Serve; orbital call.

// installDemo installs the demo module name with its own manifest, each line of edits
// replacing the manifest's line that sets the same key.
func installDemo(t *testing.T, home, name string, edits ...string) {
	t.Helper()
	man, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "modules", name, "module.toml"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(man), "\n")
	for _, e := range edits {
		key, _, _ := strings.Cut(e, " =")
		for i, l := range lines {
			if strings.HasPrefix(l, key+" =") {
				lines[i] = e
			}
		}
	}
	wasm, err := os.ReadFile(testenv.Module(t, name))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "module.toml"), strings.Join(lines, "\n"))
	if err := os.WriteFile(filepath.Join(dir, name+".wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "install", "--home", home, dir)
}

// installProbeService installs svcprobe as a service (a command module serving with sdk.Serve).
func installProbeService(t *testing.T, home string) {
	t.Helper()
	wasm, err := os.ReadFile(testenv.Module(t, "svcprobe"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "module.toml"), "name = \"svcprobe\"\nversion = \"1.0.0\"\nkind = \"service\"\nentry = \"svcprobe.wasm\"\n")
	if err := os.WriteFile(filepath.Join(dir, "svcprobe.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "install", "--home", home, dir)
}

var weatherPID = regexp.MustCompile(`\(weather pid (\d+)\)`)

// weatherPIDs lists the pids of weather's running processes, from orbital ps.
func weatherPIDs(t *testing.T, home string) []uint32 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	procs, _, err := admin.ControlClient{Path: admin.ControlSocketPath(home)}.Processes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint32
	for _, p := range procs {
		if p.Name == "weather" && p.State != "exited" && p.State != "crashed" {
			out = append(out, p.PID)
		}
	}
	return out
}

// TestServicesUp: a call by name starts the service on demand, its two instances share the
// calls, an app started in the instance calls it, and it stops after its idle timeout.
func TestServicesUp(t *testing.T) {
	home := testenv.Home(t)
	installDemo(t, home, "weather", `idle_timeout = "2s"`)
	installDemo(t, home, "forecast")
	installProbeService(t, home)
	u := startUp(t, home)
	if pids := weatherPIDs(t, home); len(pids) != 0 {
		t.Fatalf("weather runs before any call: %v", pids)
	}

	out, errOut, code := orbitalCmd(t, "call", "--home", home, "--timeout", "25s", "weather.today", "Paris")
	if code != 0 || !strings.HasPrefix(out, "Paris, ") || !weatherPID.MatchString(out) {
		t.Fatalf("orbital call weather.today Paris: %d\n%s%s", code, out, errOut)
	}
	testenv.Eventually(t, func() bool { return len(weatherPIDs(t, home)) == 2 }, 20*time.Second, "two instances of weather")
	seen := map[string]bool{}
	for range 4 {
		out, errOut, code := orbitalCmd(t, "call", "--home", home, "weather.today", "Lima")
		m := weatherPID.FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("orbital call: %d\n%s%s", code, out, errOut)
		}
		seen[m[1]] = true
	}
	if len(seen) != 2 {
		t.Fatalf("4 calls in a row reached the pids %v, want both instances", seen)
	}
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"weather.today"}, 1, "the service failed: today: give a city name"},
		{[]string{"weather.tomorrow", "Paris"}, 1, `no method "tomorrow"`},
		{[]string{"nosuch.today"}, 1, "nosuch is not installed"},
		{[]string{"forecast.today"}, 1, "not a service"},
		{[]string{"svcprobe.fail", "no such city"}, 1, "the service failed: no such city"},
		{[]string{"svcprobe.big", "2000000"}, 1, "the service failed: reply of 2000000 bytes is too big"},
		{[]string{"--timeout", "300ms", "svcprobe.sleep", "3s"}, 1, "timeout: no reply within 300ms"},
		{[]string{"svcprobe.call", "svcprobe.echo"}, 1, "ERR_DENIED"},
		{[]string{"svcprobe.panic"}, 1, "service crashed: svcprobe (pid"},
		{[]string{"svcprobe.echo", "back"}, 0, ""},
	} {
		_, errOut, code := orbitalCmd(t, append([]string{"call", "--home", home}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.says) {
			t.Errorf("orbital call %v: %d %q; want %d saying %q", tc.args, code, errOut, tc.code, tc.says)
		}
	}

	// The app, started in the instance, calls the service by name (its built-in policy grants it).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := (admin.ControlClient{Path: admin.ControlSocketPath(home)}).Start(ctx, "forecast"); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, func() bool {
		o := u.out.String()
		return strings.Contains(o, "Lagos, ") && strings.Contains(o, "Tokyo, ") && strings.Contains(o, "Lima, ")
	}, 60*time.Second, "forecast's answers from weather in orbital up's output")

	// idle_timeout = "2s": both instances stop; the next call starts weather again.
	testenv.Eventually(t, func() bool { return len(weatherPIDs(t, home)) == 0 }, 20*time.Second, "weather stopped 2 s after the last call")
	if out, errOut, code := orbitalCmd(t, "call", "--home", home, "weather.today", "Oslo"); code != 0 || !strings.HasPrefix(out, "Oslo, ") {
		t.Fatalf("a call after the idle stop: %d\n%s%s", code, out, errOut)
	}
}
