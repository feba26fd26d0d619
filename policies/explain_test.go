package policies

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func testSet(t *testing.T) *Set {
	t.Helper()
	set := &Set{}
	files, _ := filepath.Glob("testdata/builtin/*.toml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(BuiltinPrefix+filepath.Base(f), data, testExpand)
		if err != nil {
			t.Fatal(err)
		}
		p.Builtin = true
		set.Policies = append(set.Policies, p)
	}
	set.Policies = append(set.Policies, LoadDir("testdata/policies", testExpand)...)
	return set
}

// TestExplainGolden checks `orbital policy explain` output, which prints Namespace.Explain.
func TestExplainGolden(t *testing.T) {
	reqData, err := os.ReadFile("testdata/requests-camera-viewer.toml")
	if err != nil {
		t.Fatal(err)
	}
	req, err := ParseRequests("camera-viewer/module.toml", reqData, testExpand)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		id   Identity
	}{
		{"user-policy", Identity{Name: "camera-viewer"}},
		{"manifest-intersection", Identity{Name: "camera-viewer", Requests: req}},
		{"builtin", Identity{Name: "pinger"}},
		{"glob", Identity{Name: "tool-grep"}},
		{"default-deny", Identity{Name: "stranger"}},
		{"broken", Identity{Name: "broken"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			ns, err := testSet(t).Resolve(tc.id)
			if err != nil {
				ns = refusedNamespace(tc.id.Name, err)
			}
			ns.Explain(&out)
			golden := filepath.Join("testdata", "explain-"+tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("explain output differs from %s (go test -update to accept):\n--- got\n%s--- want\n%s", golden, out.Bytes(), want)
			}
		})
	}
}
