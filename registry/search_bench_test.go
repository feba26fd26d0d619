package registry

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var benchWords = []string{"image", "audio", "network", "clock", "paint", "camera", "filter", "game", "chat", "editor"}

// bulkInstall records n synthetic modules in r without the per-install fsyncs (a test-only
// shortcut so the benchmark's setup takes seconds, not minutes): manifest files, state
// records and one index batch.
func bulkInstall(tb testing.TB, r *Registry, n int) []*Manifest {
	tb.Helper()
	var ms []*Manifest
	err := r.withDB(true, func(db *bolt.DB) error {
		var names []string
		err := db.Update(func(tx *bolt.Tx) error {
			for i := range n {
				a, b := benchWords[i%len(benchWords)], benchWords[(i/len(benchWords))%len(benchWords)]
				m := &Manifest{Name: fmt.Sprintf("mod%04d-%s", i, a), Version: fmt.Sprintf("1.%d.0", i%7), Kind: KindApp,
					Entry: "m.wasm", EntryDigest: Digest([]byte(fmt.Sprint(i))),
					Description: fmt.Sprintf("A %s tool that works with %s data, number %d", a, b, i),
					Tags:        []string{a, b}, Exports: []string{a + "_run", b + "_open"}}
				if i == n/2 {
					m.Name, m.Tags, m.Description = "imagefx", []string{"image", "blur"}, "Image effects: box blur, grayscale, invert"
				}
				mb := m.Encode()
				if err := os.MkdirAll(r.versionDir(m.Name, m.Version), 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(r.manifestPath(m.Name, m.Version), mb, 0o644); err != nil {
					return err
				}
				rec := &Record{Name: m.Name, Version: m.Version, Kind: m.Kind, EntryDigest: m.EntryDigest,
					ManifestDigest: Digest(mb), Source: "bench", InstalledAt: time.Now()}
				v, _ := json.Marshal(rec)
				if err := tx.Bucket(bucketVersions).Put(recordKey(m.Name, m.Version), v); err != nil {
					return err
				}
				ms = append(ms, m)
				names = append(names, m.Name)
			}
			_, err := bumpGeneration(tx)
			return err
		})
		if err != nil {
			return err
		}
		var gen uint64
		db.View(func(tx *bolt.Tx) error { gen = generation(tx); return nil })
		return r.updateIndex(db, names, gen)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ms
}

// linearScan is search without an index: read every installed manifest and keep those whose
// name, tags, exports or description contain every word.
func linearScan(r *Registry, q string, n int) ([]string, error) {
	recs, err := r.List("")
	if err != nil {
		return nil, err
	}
	words := strings.Fields(strings.ToLower(q))
	var out []string
	for _, rec := range recs {
		m, err := r.Manifest(rec)
		if err != nil {
			return nil, err
		}
		if matches(m, words) {
			out = append(out, m.Name)
		}
		if len(out) == n {
			break
		}
	}
	return out, nil
}

func matches(m *Manifest, words []string) bool {
	text := strings.ToLower(m.Name + " " + strings.Join(m.Tags, " ") + " " + strings.Join(m.Exports, " ") + " " + m.Description)
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

func TestSearchThousand(t *testing.T) {
	r := newReg(t)
	bulkInstall(t, r, 1000)
	start := time.Now()
	hits, err := r.Search("blur", 10)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].Name != "imagefx" {
		t.Fatalf("search blur over 1000 modules: %+v", hits)
	}
	if hits, _ := r.Search("image filter", 10); len(hits) != 10 {
		t.Fatalf("search 'image filter': %d hits", len(hits))
	}
	t.Logf("search over 1000 manifests: %v", took)
}

// BenchmarkSearch: one query over 1,000 installed manifests. base=linear-scan reads and
// parses every manifest (a store without an index); orbital is the bleve index (opened per
// query, as Search does). memory-scan is the lower bound of an in-memory scan of parsed
// manifests, for scale.
func BenchmarkSearch(b *testing.B) {
	r, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ms := bulkInstall(b, r, 1000)
	b.Run("base=linear-scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if hits, err := linearScan(r, "blur", 20); err != nil || len(hits) == 0 {
				b.Fatal(hits, err)
			}
		}
	})
	b.Run("orbital", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if hits, err := r.Search("blur", 20); err != nil || len(hits) == 0 {
				b.Fatal(hits, err)
			}
		}
	})
	b.Run("memory-scan", func(b *testing.B) {
		b.ReportAllocs()
		words := []string{"blur"}
		for b.Loop() {
			n := 0
			for _, m := range ms {
				if matches(m, words) {
					n++
				}
			}
			if n == 0 {
				b.Fatal("no match")
			}
		}
	})
}
