package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbital/orbital/internal/testenv"
)

// TestSpawnAttenuation runs the launch module through the real binary. It may start only the
// modules its policy names under process.spawn (a refusal is audited), and a child never gets
// more than launch holds: fsprobe's own policy preopens /data, but started by launch, which
// has no fs grant, it cannot read there; once launch's policy grants /data too, it can.
func TestSpawnAttenuation(t *testing.T) {
	mods := t.TempDir() // the modules children are looked up in, by name
	for _, name := range []string{"fsprobe", "hello"} {
		b, err := os.ReadFile(testenv.Module(t, name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(mods, name+".wasm"), string(b))
	}
	env := []string{"ORBITAL_MODULES=" + mods}
	home, data := testenv.Home(t), t.TempDir()
	writeFile(t, filepath.Join(data, "inside.txt"), "inside")
	fsGrant := "[[fs]]\nhost = \"" + data + "\"\nguest = \"/data\"\nmode = \"ro\"\n"
	writeFile(t, filepath.Join(home, "policies", "fsprobe.toml"), "[module]\nmatch = \"fsprobe\"\n"+fsGrant)
	launchPolicy := filepath.Join(home, "policies", "launch.toml")
	writeFile(t, launchPolicy, "[module]\nmatch = \"launch\"\n[process]\nspawn = [\"fsprobe\", \"hello\"]\n")
	launch := testenv.Module(t, "launch")

	out, errOut, code := orbitalRun(t, env, "run", "--home", home, "fsprobe", "--", "read:/data/inside.txt")
	if code != 0 || !strings.Contains(out, `OK read /data/inside.txt "inside"`) {
		t.Fatalf("fsprobe alone: exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = orbitalRun(t, env, "run", "--home", home, launch, "--", "fsprobe", "read:/data/inside.txt", "+", "hello", "x", "+", "clock")
	if code != 1 || !strings.Contains(out, "ERR read /data/inside.txt") || !strings.Contains(out, `args: ["x"]`) ||
		!strings.Contains(out, "launch: clock did not start: orbital: spawn clock: orbital: ERR_DENIED") ||
		!strings.Contains(out, "launch: fsprobe (pid") || !strings.Contains(out, "launch: hello (pid") {
		t.Fatalf("launch under a narrow policy: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	out, _, _ = orbitalCmd(t, "audit", "--home", home, "--module", "launch")
	if !strings.Contains(out, "spawn") || !strings.Contains(out, "clock") {
		t.Fatalf("audit should list the refused spawn of clock:\n%s", out)
	}
	writeFile(t, launchPolicy, "[module]\nmatch = \"launch\"\n[process]\nspawn = [\"fsprobe\"]\n"+fsGrant)
	out, errOut, code = orbitalRun(t, env, "run", "--home", home, launch, "--", "fsprobe", "read:/data/inside.txt")
	if code != 0 || !strings.Contains(out, `OK read /data/inside.txt "inside"`) {
		t.Fatalf("launch granted /data: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
