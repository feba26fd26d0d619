package policies

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func writePolicy(t *testing.T, dir, name, src string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Write to a temporary name and rename, the way editors save, so a reload never sees
	// half a file.
	tmp := filepath.Join(dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func TestLiveReload(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "policies")
	writePolicy(t, dir, "probe.toml", "[module]\nmatch = \"probe\"\n[bus]\npublish = [\"a.b\"]\n")
	st, err := Open(home)
	if err != nil {
		t.Fatal(err)
	}
	live, err := st.Bind(7, Identity{Name: "probe"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Check(OpPublish, "a.b"); err != nil {
		t.Fatalf("granted publish: %v", err)
	}
	if err := live.Check(OpPublish, "c.d"); !errors.Is(err, ErrDenied) {
		t.Fatalf("ungranted publish: %v", err)
	}

	// Grant c.d: takes effect on the next check after a reload, no rebind.
	writePolicy(t, dir, "probe.toml", "[module]\nmatch = \"probe\"\n[bus]\npublish = [\"a.b\", \"c.d\"]\n")
	if changed, err := st.Reload(); !changed || err != nil {
		t.Fatalf("Reload = %v, %v", changed, err)
	}
	if err := live.Check(OpPublish, "c.d"); err != nil {
		t.Fatalf("after the edit: %v", err)
	}

	// Break the file: the module is refused everything, with the file and line.
	writePolicy(t, dir, "probe.toml", "[module]\nmatch = \"probe\"\n[bus]\npublish = [\"a.b\"]\nbogus = 1\n")
	st.Reload()
	err = live.Check(OpPublish, "a.b")
	if !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), "probe.toml:5") {
		t.Fatalf("after breaking the file: %v", err)
	}
	if _, err := st.Bind(8, Identity{Name: "probe"}, nil, nil); !errors.Is(err, ErrBroken) {
		t.Fatalf("binding with a broken policy: %v", err)
	}

	// Every denial is in the audit log.
	recs, err := ReadAudit(st.Audit().Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].PID != 7 || recs[0].Module != "probe" || recs[0].Op != "publish" || recs[0].Object != "c.d" || recs[0].Rule != NoGrant {
		t.Fatalf("audit = %+v", recs)
	}
	if !strings.Contains(recs[1].Rule, "probe.toml:5") {
		t.Errorf("second record's rule = %q", recs[1].Rule)
	}
}

func TestReloadUnchangedIsNoop(t *testing.T) {
	home := t.TempDir()
	writePolicy(t, filepath.Join(home, "policies"), "x.toml", "[module]\nmatch = \"x\"\n")
	st, err := Open(home)
	if err != nil {
		t.Fatal(err)
	}
	g := st.Generation()
	if changed, _ := st.Reload(); changed || st.Generation() != g {
		t.Fatal("reload without a change bumped the generation")
	}
	os.Remove(filepath.Join(home, "policies", "x.toml"))
	if changed, _ := st.Reload(); !changed {
		t.Fatal("removing a file was not noticed")
	}
}

func TestAuditRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	a := OpenAudit(path, 1000)
	for i := 0; i < 100; i++ {
		if err := a.Record(Record{Time: time.Unix(int64(i), 0), PID: uint32(i), Module: "m", Op: "publish", Object: "x", Rule: NoGrant}); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	for _, p := range []string{path, path + ".1"} {
		st, err := os.Stat(p)
		if err != nil || st.Size() > 1000 {
			t.Fatalf("%s: %v size %d", p, err, st.Size())
		}
	}
	recs, err := ReadAudit(path)
	if err != nil || len(recs) == 0 || recs[len(recs)-1].PID != 99 {
		t.Fatalf("ReadAudit = %d records, %v", len(recs), err)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].PID != recs[i-1].PID+1 {
			t.Fatalf("records out of order at %d: %d after %d", i, recs[i].PID, recs[i-1].PID)
		}
	}
}

// TestLiveHammer checks from several goroutines while the policy flips between granting and
// refusing; run with -race. Once the last reload is seen, every check agrees with it.
func TestLiveHammer(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "policies")
	grant := "[module]\nmatch = \"h\"\n[bus]\npublish = [\"a.b\"]\n"
	deny := "[module]\nmatch = \"h\"\n[bus]\npublish = [\"x.y\"]\n"
	writePolicy(t, dir, "h.toml", grant)
	st, err := Open(home)
	if err != nil {
		t.Fatal(err)
	}
	live, err := st.Bind(1, Identity{Name: "h"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				live.Check(OpPublish, "a.b")
				live.Namespace().AllowSubscribe("a.>")
			}
		}()
	}
	for i := 0; i < 40; i++ {
		src := grant
		if i%2 == 1 {
			src = deny + strings.Repeat("#\n", i) // a different size, so the change is seen
		}
		writePolicy(t, dir, "h.toml", src)
		if _, err := st.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	// The last write (i = 39) refuses a.b.
	if err := live.Check(OpPublish, "a.b"); !errors.Is(err, ErrDenied) {
		t.Fatalf("after the last reload: %v", err)
	}
}
