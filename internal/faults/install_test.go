package faults

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/registry"
)

// must runs the binary and fails the test on a non-zero exit; it returns stdout.
func must(t *testing.T, args ...string) string {
	t.Helper()
	r := orbital(t, 2*time.Minute, args...)
	if r.code != 0 {
		t.Fatalf("orbital %v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// moduleDir makes a module directory: module.toml from modules/<name> (changed by edit) and
// the built .wasm.
func moduleDir(t *testing.T, name string, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	man, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "modules", name, "module.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		man = []byte(edit(string(man)))
	}
	wasm, err := os.ReadFile(testenv.Module(t, name))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "module.toml"), man, 0o644)
	os.WriteFile(filepath.Join(dir, name+".wasm"), wasm, 0o644)
	return dir
}

// childEnv carries the installer's orders to the test binary re-run as an installer child
// (installChild). The env var is the test's own; production code has no hook but the
// AfterStep callback of registry.InstallOptions.
const childEnv = "ORBITAL_TEST_INSTALL_CHILD"

type childOrder struct {
	Home, Src, Step string
	Replace         bool
}

// installChild, in a child started by killAtStep, installs Src into Home and stops for good
// after Step, saying so on stdout, so the parent can kill it there with SIGKILL.
func installChild() {
	raw := os.Getenv(childEnv)
	if raw == "" {
		return
	}
	var o childOrder
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r, err := registry.Open(o.Home)
	if err == nil {
		_, err = r.Install(context.Background(), o.Src, registry.InstallOptions{Replace: o.Replace, AfterStep: func(s string) {
			if s != o.Step {
				return
			}
			fmt.Println("stopped after " + s)
			for {
				time.Sleep(time.Hour)
			}
		}})
	}
	fmt.Printf("install ended without stopping: %v\n", err)
	os.Exit(1)
}

// killAtStep runs the installer child and kills it with SIGKILL once it reports step.
func killAtStep(t *testing.T, o childOrder) {
	t.Helper()
	raw, _ := json.Marshal(o)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Scan()
		line <- sc.Text()
	}()
	select {
	case l := <-line:
		if l != "stopped after "+o.Step {
			t.Fatalf("installer child: %q", l)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("installer child did not reach step %s", o.Step)
	}
	cmd.Process.Kill() // SIGKILL, mid-install
}

// Defect 11: install --replace killed after its manifest step left a version that ls listed
// and run/info refused as tampered, and recovery did not repair it.
//
// TestInstallKilledAtEachStep kills an install with SIGKILL after each of its steps, on each
// install path (a new version, --replace of an installed version, the repair of a damaged
// one), then looks at the home through the real binary: ls, info and run see the old state
// (killed before "committed") or the complete new one (from "committed" on), never a listed
// version that info or run refuse; staging is empty; installing again completes.
func TestInstallKilledAtEachStep(t *testing.T) {
	withFile := func(desc string) func(string) string {
		return func(s string) string { return strings.Replace(s, "Image effects", desc, 1) }
	}
	v1 := moduleDir(t, "imagefx", nil)
	upgrade := moduleDir(t, "imagefx", func(s string) string {
		return withFile("Newer image effects")(strings.Replace(s, `version = "1.0.0"`, `version = "1.1.0"`, 1))
	})
	replace := moduleDir(t, "imagefx", withFile("Rebuilt image effects"))
	for _, d := range []string{upgrade, replace} { // a new blob for the blob step
		os.WriteFile(filepath.Join(d, "notes.txt"), []byte("notes of "+d), 0o644)
	}
	template := testenv.Home(t)
	must(t, "install", "--home", template, v1, moduleDir(t, "blurview", nil))
	must(t, "run", "--home", template, "blurview", "--", "--check") // fills the compile cache

	paths := []struct {
		name, src, newDesc string
		replace, damage    bool
		versions           [2]string // listed before and after the commit
	}{
		{"new version", upgrade, "Newer image effects", false, false, [2]string{"1.0.0", "1.0.0 1.1.0"}},
		{"replace", replace, "Rebuilt image effects", true, false, [2]string{"1.0.0", "1.0.0"}},
		{"repair", v1, "Image effects", false, true, [2]string{"1.0.0", "1.0.0"}},
	}
	changed := func(versions [2]string) string { // the version the install writes
		f := strings.Fields(versions[1])
		return f[len(f)-1]
	}
	for _, p := range paths {
		for _, step := range registry.InstallSteps {
			t.Run(strings.ReplaceAll(p.name, " ", "-")+"/"+step, func(t *testing.T) {
				home := filepath.Join(t.TempDir(), "home")
				if out, err := exec.Command("cp", "-a", template, home).CombinedOutput(); err != nil {
					t.Fatalf("cp: %v %s", err, out)
				}
				entry := filepath.Join(home, "registry", "modules", "imagefx", "1.0.0", "imagefx.wasm")
				if p.damage {
					os.WriteFile(entry, []byte("\x00asm damaged"), 0o644)
				}
				killAtStep(t, childOrder{Home: home, Src: p.src, Step: step, Replace: p.replace})
				checkAfterKill(t, home, p.versions, changed(p.versions), p.newDesc, p.damage, step)
				args := []string{"install", "--home", home}
				if p.replace {
					args = append(args, "--replace")
				}
				must(t, append(args, p.src)...)
				if out := must(t, "info", "--home", home, "imagefx@"+changed(p.versions)); !strings.Contains(out, p.newDesc) {
					t.Fatalf("after installing again: %s", out)
				}
			})
		}
	}
}

// checkAfterKill: the home holds the old state or the complete new one.
func checkAfterKill(t *testing.T, home string, versions [2]string, changed, newDesc string, damaged bool, step string) {
	t.Helper()
	committed := step == "committed" || step == "indexed"
	want := versions[0]
	if committed {
		want = versions[1]
	}
	ls := must(t, "ls", "--home", home, "--all", "imagefx")
	for _, v := range []string{"1.0.0", "1.1.0"} {
		if strings.Contains(ls, v) != strings.Contains(want, v) {
			t.Fatalf("ls lists %s=%v, want versions %s:\n%s", v, !strings.Contains(want, v), want, ls)
		}
	}
	for _, v := range strings.Fields(want) {
		r := orbital(t, time.Minute, "info", "--home", home, "imagefx@"+v)
		out, errOut, code := r.stdout, r.stderr, r.code
		if damaged && !committed && v == changed {
			if code == 0 || !strings.Contains(errOut, "digest mismatch") {
				t.Fatalf("the damaged version, not yet repaired: exit %d %s", code, errOut)
			}
			continue
		}
		if code != 0 {
			t.Fatalf("ls lists imagefx@%s but info refuses it: %s", v, errOut)
		}
		if v == changed && committed && !strings.Contains(out, newDesc) {
			t.Fatalf("committed, but info shows the old imagefx@%s:\n%s", v, out)
		}
		if v == changed && !committed && newDesc != "Image effects" && strings.Contains(out, newDesc) {
			t.Fatalf("not committed, but info shows a new imagefx@%s:\n%s", v, out)
		}
	}
	if !(damaged && !committed) {
		if out := must(t, "run", "--home", home, "blurview", "--", "--check"); !strings.Contains(out, "check ok") {
			t.Fatalf("blurview: %s", out)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(home, "registry", "staging")); len(ents) != 0 {
		t.Fatalf("staging not cleaned: %v", ents)
	}
	if out := must(t, "search", "--home", home, "--local", "imagefx"); !strings.Contains(out, "imagefx") {
		t.Fatalf("search: %s", out)
	}
}
