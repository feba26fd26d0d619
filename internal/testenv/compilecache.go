package testenv

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var cacheMu sync.Mutex

// ShareCompileCache lets the Orbital home home share its compile cache
// (home/cache/compiled) with the other homes of the test binary that call it: the entries
// earlier tests compiled are linked in now, and those this test compiles are linked out when
// it ends. The JavaScript engine module (modules/js, 19 MB of WASM) takes 20-60 s to compile;
// with this a test binary pays that once, not once per test home.
func ShareCompileCache(t testing.TB, home string) {
	t.Helper()
	cacheMu.Lock()
	shared := filepath.Join(buildDir(t), "compiled")
	cacheMu.Unlock()
	own := filepath.Join(home, "cache", "compiled")
	for _, d := range []string{shared, own} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("testenv: %v", err)
		}
	}
	linkEntries(t, shared, own)
	t.Cleanup(func() { linkEntries(t, own, shared) })
}

// linkEntries links (or copies) every complete cache entry of from (a <key>.cwasm with its
// <key>.sum) that to lacks; the .sum goes last, so a reader never sees a sum without its code.
func linkEntries(t testing.TB, from, to string) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	sums, _ := filepath.Glob(filepath.Join(from, "*.sum"))
	for _, sum := range sums {
		key := strings.TrimSuffix(filepath.Base(sum), ".sum")
		if _, err := os.Stat(filepath.Join(to, key+".sum")); err == nil {
			continue
		}
		for _, ext := range []string{".cwasm", ".sum"} {
			if err := linkOrCopy(filepath.Join(from, key+ext), filepath.Join(to, key+ext)); err != nil {
				t.Logf("testenv: share compile cache entry %s: %v", key, err)
				break
			}
		}
	}
}

func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil || os.IsExist(err) {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
