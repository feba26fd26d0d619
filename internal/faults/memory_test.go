package faults

import (
	"fmt"

	"github.com/orbital/orbital/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fillWAT declares n memories and grows every one a page at a time, writing each new page
// whole (so it is resident), until none grows; then it logs "F" and waits to be stopped.
func fillWAT(n int) string {
	var b strings.Builder
	b.WriteString(`(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))` + "\n")
	for i := range n {
		fmt.Fprintf(&b, "(memory $m%d %s1)\n", i, map[bool]string{true: `(export "memory") `}[i == 0])
	}
	b.WriteString(`(func (export "_start") (local $n i32) (local $grew i32) (local $r i32)
  (loop $l
    (local.set $grew (i32.const 0))` + "\n")
	for i := range n {
		fmt.Fprintf(&b, `    (local.set $r (memory.grow $m%d (i32.const 1)))
    (if (i32.ne (local.get $r) (i32.const -1)) (then
      (memory.fill $m%d (i32.shl (local.get $r) (i32.const 16)) (i32.const 7) (i32.const 65536))
      (local.set $grew (i32.const 1))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))))
`, i, i)
	}
	b.WriteString(`    (br_if $l (local.get $grew)))
  (i32.store8 (i32.const 0) (i32.const 70)) ;; "F": filled, then wait to be stopped
  (drop (call $log (i32.const 1) (i32.const 0) (i32.const 1)))
  (loop $w
    (br_if $w (i32.ne (call $recv (i32.const 8) (i32.const 1024) (i64.const -1)) (i32.const -10))))))`)
	return b.String()
}

// Defect 2: the ceiling was per linear memory and the count unlimited; 40 memories under
// --memory 32MiB reached 1.35 GB RSS. Now one ceiling covers all of a process's memories and
// tables, and their count is bounded: the 40-memory module is refused, and a module with the
// two memories a process may have fills both to one ceiling together. Goal: peak RSS under
// twice the ceiling plus the runtime's own.
func TestMemoriesOneCeiling(t *testing.T) {
	const ceiling = 32 << 20
	h := home(t, nil)
	dir := t.TempDir()
	mib := func(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

	// The 40-memory module: refused before it holds anything.
	mem40 := wat(t, dir, "mem40", fillWAT(40))
	orbital(t, 120*time.Second, "run", "--home", h, "--memory", "32MiB", mem40) // compiled into the cache
	r := orbital(t, 60*time.Second, "run", "--home", h, "--memory", "32MiB", mem40)
	if r.code == 0 || !strings.Contains(r.stderr, "memory count") {
		t.Errorf("the 40-memory module: exit %d, want refused naming the memory count\n%s", r.code, r.stderr)
	}
	idle := orbital(t, 120*time.Second, "run", "--home", h, "--memory", "32MiB", wat(t, dir, "idle", `(module (memory (export "memory") 1) (func (export "_start")))`))
	t.Logf("40 memories under --memory 32MiB: peak RSS %s (the runtime alone, an idle module: %s; goal: < 2 x 32 MiB + the runtime's own; was 1.35 GB)",
		mib(r.maxRSS), mib(idle.maxRSS))
	if r.maxRSS > idle.maxRSS+2*ceiling {
		t.Errorf("peak RSS %s", mib(r.maxRSS))
	}

	// Two memories, the most a module may declare, filled: together they hold one ceiling.
	// Measured as anonymous resident memory once the guest has filled them (file pages of
	// the binary come and go with the code paths a run takes).
	mem2 := wat(t, dir, "mem2", fillWAT(2))
	anon := func(memory string) int64 {
		cmd, out := start(t, "", "run", "--home", h, "--memory", memory, mem2)
		testenv.Eventually(t, func() bool { return strings.Contains(out.String(), ": F") }, 60*time.Second, "the guest to fill its memories:\n%s", out)
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		var kb int64
		for _, l := range strings.Split(string(st), "\n") {
			if strings.HasPrefix(l, "RssAnon:") {
				fmt.Sscan(strings.TrimPrefix(l, "RssAnon:"), &kb)
			}
		}
		cmd.Process.Kill()
		return kb << 10
	}
	small, full := anon("1MiB"), anon("32MiB")
	t.Logf("2 memories filled under --memory 32MiB: %s anonymous resident, %s more than under 1MiB (goal: < 2 x 32 MiB)", mib(full), mib(full-small))
	if extra := full - small; extra > ceiling+ceiling/8 || extra < ceiling/2 {
		t.Errorf("two filled memories hold %s beyond the runtime's own, want about the ceiling of %s", mib(extra), mib(ceiling))
	}
}

// bombWAT spawns itself until proc_spawn refuses (64 children per process; a whole tree
// before), grows its memory by 4 MiB written whole, then waits to be stopped.
const bombWAT = `(module
  (import "orbital" "proc_spawn" (func $spawn (param i32 i32 i32 i32) (result i32)))
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (import "orbital" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "bomb")
  (data (i32.const 200) "spawn refused")
  (func (export "_start") (local $r i32)
    (loop $s
      (local.set $r (call $spawn (i32.const 100) (i32.const 4) (i32.const 0) (i32.const 0)))
      (br_if $s (i32.gt_s (local.get $r) (i32.const 0))))
    (if (i32.eq (local.get $r) (i32.const -9)) (then (drop (call $log (i32.const 1) (i32.const 200) (i32.const 13)))))
    (local.set $r (memory.grow (i32.const 64)))
    (if (i32.ne (local.get $r) (i32.const -1)) (then
      (memory.fill (i32.shl (local.get $r) (i32.const 16)) (i32.const 7) (i32.const 4194304))))
    (loop $l
      (br_if $l (i32.ne (call $recv (i32.const 0) (i32.const 4096) (i64.const -1)) (i32.const -10))))))`

// Defect 7: spawn trees were unbounded (each child could spawn 64 more; 3.2 GB in 7 s). A tree
// now shares one budget: 64 processes besides its root, four times the root's ceiling of
// memory.
func TestSpawnBomb(t *testing.T) {
	h := home(t, map[string]string{"bomb": `[module]
match = "bomb"
[process]
spawn = ["bomb"]
`})
	if err := os.MkdirAll(filepath.Join(h, "modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	wat(t, filepath.Join(h, "modules"), "bomb", bombWAT)
	r := orbital(t, 120*time.Second, "run", "--home", h, "--memory", "16MiB", "--timeout", "4s", "bomb")
	spawned := strings.Count(r.stderr, "spawn refused")
	t.Logf("peak RSS %.1f MiB, %d processes met ERR_LIMIT, run took %v", float64(r.maxRSS)/(1<<20), spawned, r.took.Round(time.Millisecond))
	if spawned == 0 || spawned > 65 {
		t.Fatalf("%d processes met ERR_LIMIT, want the tree's 65 (root and 64 others):\n%s", spawned, r.stderr)
	}
	if r.maxRSS > 512<<20 {
		t.Fatalf("peak RSS %d MiB for a tree of 64 MiB", r.maxRSS>>20)
	}
}
