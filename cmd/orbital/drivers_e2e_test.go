package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/drivers/drivertest"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/system"
)

// cli runs the real orbital binary and returns stdout, stderr and the exit code.
func cli(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(testenv.Binary(t), args...)
	cmd.Env = append(os.Environ(), "ORBITAL_MODULES="+filepath.Dir(testenv.Module(t, "hello")))
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("orbital %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// cameraPackage lays out the camera driver as a registry package directory.
func cameraPackage(t testing.TB, boot bool) string {
	t.Helper()
	bin, _ := drivertest.Build(t, "github.com/orbital/orbital/drivers/camera/cmd/orbital-camera")
	return driverPackage(t, "camera", bin, boot, "")
}

// driverPackage lays out a driver executable as a registry package directory named name,
// with extra manifest text.
func driverPackage(t testing.TB, name, bin string, boot bool, extra string) string {
	t.Helper()
	dir := t.TempDir()
	plat := filepath.Join(dir, "bin", runtime.GOOS+"-"+runtime.GOARCH)
	if err := os.MkdirAll(plat, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(plat, "orbital-"+name), b, 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := `name = "` + name + `"
version = "0.1.0"
kind = "driver"
description = "the ` + name + ` driver, built by the test"
entry = "bin/` + runtime.GOOS + "-" + runtime.GOARCH + `/orbital-` + name + `"
restart = "on-failure"
`
	if boot {
		manifest += "\n[triggers]\nboot = true\n"
	}
	manifest += extra
	if err := os.WriteFile(filepath.Join(dir, "module.toml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// driverProcesses lists live processes executing a driver image (a sealed memfd).
func driverProcesses() []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		exe, err := os.Readlink("/proc/" + e.Name() + "/exe")
		if err == nil && strings.Contains(exe, "orbital-driver-image") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestDriversInstallListRunTamper(t *testing.T) {
	home := testenv.Home(t)
	if out, errOut, code := cli(t, "drivers", "--home", home); code != 0 || !strings.Contains(out, "none (install a driver package") {
		t.Fatalf("empty home: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := cli(t, "install", "-q", "--home", home, cameraPackage(t, true)); code != 0 {
		t.Fatalf("install: %d %s", code, errOut)
	}
	out, errOut, code := cli(t, "drivers", "--home", home)
	if code != 0 || !strings.Contains(out, "camera") || !strings.Contains(out, "0.1.0") || !strings.Contains(out, "on-failure") || !strings.Contains(out, " ok") {
		t.Fatalf("drivers after install: %d\n%s%s", code, out, errOut)
	}

	// orbital run starts the boot driver beside the modules and stops it at the end.
	before := driverProcesses()
	_, errOut, code = cli(t, "run", "--home", home, "--headless", "hello")
	if code != 0 || !strings.Contains(errOut, "driver camera 0.1.0 started") || !strings.Contains(errOut, "driver camera stopped (exited): stopped on request") {
		t.Fatalf("run with a boot driver: %d\n%s", code, errOut)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(driverProcesses()) > len(before) {
		if time.Now().After(deadline) {
			t.Fatalf("driver processes left after orbital run: %v", driverProcesses())
		}
		time.Sleep(10 * time.Millisecond)
	}

	// While an orbital process runs, `orbital drivers` shows the driver it supervises.
	bg := exec.Command(testenv.Binary(t), "run", "--home", home, "--headless", "clock")
	bg.Env = append(os.Environ(), "ORBITAL_MODULES="+filepath.Dir(testenv.Module(t, "clock")))
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	defer bg.Process.Kill()
	deadline = time.Now().Add(20 * time.Second)
	for {
		out, _, _ = cli(t, "drivers", "--home", home)
		if strings.Contains(out, "in orbital process") && strings.Contains(out, "running") && strings.Contains(out, "no-new-privs") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("running driver not listed:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// orbital ps (the control socket of the running instance) lists the driver as a process.
	deadline = time.Now().Add(10 * time.Second)
	for {
		out, errOut, _ = cli(t, "ps", "--home", home)
		if strings.Contains(out, "camera") && strings.Contains(out, "driver") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("orbital ps does not list the driver:\n%s%s", out, errOut)
		}
		time.Sleep(50 * time.Millisecond)
	}
	bg.Process.Signal(os.Interrupt)
	bg.Wait()
	if out, _, _ = cli(t, "drivers", "--home", home); !strings.Contains(out, "running drivers:\n  none") {
		t.Fatalf("driver still listed after its orbital process ended:\n%s", out)
	}

	// Tamper with the installed blob: listed as a mismatch, refused at start, modules still run.
	blobs, _ := filepath.Glob(filepath.Join(home, "registry", "blobs", "sha256", "*"))
	tampered := 0
	for _, b := range blobs {
		data, err := os.ReadFile(b)
		if err == nil && bytes.HasPrefix(data, []byte("\x7fELF")) {
			os.Chmod(b, 0o644)
			if err := os.WriteFile(b, append(data, 0), 0o644); err != nil {
				t.Fatal(err)
			}
			tampered++
		}
	}
	if tampered != 1 {
		t.Fatalf("found %d driver blobs", tampered)
	}
	out, _, _ = cli(t, "drivers", "--home", home)
	if !strings.Contains(out, "digest mismatch") {
		t.Fatalf("tampered blob not reported:\n%s", out)
	}
	out, errOut, code = cli(t, "run", "--home", home, "--headless", "hello")
	if code != 0 || !strings.Contains(out, "hello from orbital") || !strings.Contains(errOut, "refusing to run it (reinstall the driver package)") {
		t.Fatalf("run with a tampered driver: %d\n%s\n%s", code, out, errOut)
	}
}

// TestDriverDiesWithKernel kills the orbital process with SIGKILL (no cleanup runs) and checks
// that its driver process follows (Pdeathsig), leaving nothing behind.
func TestDriverDiesWithKernel(t *testing.T) {
	home := testenv.Home(t)
	if _, errOut, code := cli(t, "install", "-q", "--home", home, cameraPackage(t, true)); code != 0 {
		t.Fatalf("install: %d %s", code, errOut)
	}
	bg := exec.Command(testenv.Binary(t), "run", "--home", home, "--headless", "clock")
	bg.Env = append(os.Environ(), "ORBITAL_MODULES="+filepath.Dir(testenv.Module(t, "clock")))
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	defer bg.Process.Kill()
	var driverPID int
	deadline := time.Now().Add(20 * time.Second)
	for driverPID == 0 {
		for _, rows := range system.RunningDrivers(home) {
			for _, r := range rows {
				if r.Name == "camera" && r.OSPID > 0 {
					driverPID = r.OSPID
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the camera driver did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	bg.Process.Kill()
	bg.Wait()
	deadline = time.Now().Add(5 * time.Second)
	for drivertest.Alive(driverPID) {
		if time.Now().After(deadline) {
			t.Fatalf("driver process %d outlived its killed kernel", driverPID)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The next `orbital drivers` drops the dead process's stale snapshot.
	if out, _, _ := cli(t, "drivers", "--home", home); !strings.Contains(out, "running drivers:\n  none") {
		t.Fatalf("stale running driver listed:\n%s", out)
	}
}

// TestDriverForAnotherPlatform installs a driver package without an executable for this
// platform: listed with the reason, skipped at boot, the modules still run.
func TestDriverForAnotherPlatform(t *testing.T) {
	home := testenv.Home(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "bin", "plan9-386"), 0o755)
	os.WriteFile(filepath.Join(dir, "bin", "plan9-386", "ghost"), []byte("not for this machine"), 0o755)
	os.WriteFile(filepath.Join(dir, "module.toml"), []byte("name = \"ghost\"\nversion = \"1.0.0\"\nkind = \"driver\"\nentry = \"bin/plan9-386/ghost\"\n\n[triggers]\nboot = true\n"), 0o644)
	if _, errOut, code := cli(t, "install", "-q", "--home", home, dir); code != 0 {
		t.Fatalf("install: %d %s", code, errOut)
	}
	want := "has no executable for " + runtime.GOOS + "-" + runtime.GOARCH
	if out, _, _ := cli(t, "drivers", "--home", home); !strings.Contains(out, want) {
		t.Fatalf("drivers:\n%s", out)
	}
	out, errOut, code := cli(t, "run", "--home", home, "--headless", "hello")
	if code != 0 || !strings.Contains(out, "hello from orbital") || !strings.Contains(errOut, "driver ghost: "+"driver ghost@1.0.0 "+want) {
		t.Fatalf("run: %d\n%s\n%s", code, out, errOut)
	}
}
