package policies

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A child whose parent runs on another node gets at most the parent's grants as they
// travelled (EncodeBound, DecodeBound) and at most this store's policy for it; a bound that
// cannot be read is an error, never no bound.
func TestBindWithin(t *testing.T) {
	home := t.TempDir()
	writePolicy(t, filepath.Join(home, "policies"), "child.toml", "[module]\nmatch = \"child\"\n[bus]\npublish = [\"open.>\", \"secret.>\"]\ndirect = true\n[limits]\nmemory = \"64MiB\"\n")
	st, err := Open(home)
	if err != nil {
		t.Fatal(err)
	}
	parent := &Grants{Publish: []Rule{{Value: "open.>"}, {Value: "other.>"}}, Memory: Limit{N: 16 << 20},
		FS: []Preopen{{Host: "/srv/data", Guest: "/data", Mode: ReadOnly}}}
	raw, err := EncodeBound(parent)
	if err != nil {
		t.Fatal(err)
	}
	bound, err := DecodeBound(raw)
	if err != nil {
		t.Fatal(err)
	}
	live, err := st.BindWithin(9, Identity{Name: "child"}, nil, nil, bound)
	if err != nil {
		t.Fatal(err)
	}
	ns := live.Namespace()
	switch {
	case !ns.AllowPublish("open.x"):
		t.Error("open.x: both grant it, refused")
	case ns.AllowPublish("secret.x"):
		t.Error("secret.x: only this node's policy grants it, allowed")
	case ns.AllowPublish("other.x"):
		t.Error("other.x: only the parent holds it, allowed")
	case ns.AllowDirect():
		t.Error("direct sends: only this node's policy grants them, allowed")
	case ns.Limits().Memory != 16<<20:
		t.Errorf("memory ceiling %d, want the parent's smaller 16 MiB", ns.Limits().Memory)
	case len(ns.Preopens()) != 0:
		t.Errorf("preopens %v: this node's policy grants none", ns.Preopens())
	}
	if unbounded, _ := st.BindWithin(10, Identity{Name: "child"}, nil, nil, nil); !unbounded.Namespace().AllowPublish("secret.x") {
		t.Error("without a bound the policy alone applies")
	}
	for name, data := range map[string]string{
		"negative limit": `{"Memory":{"N":-1}}`,
		"unknown field":  `{"Publish":[],"Everything":true}`,
		"trailing data":  `{} {}`,
		"bad mode":       `{"FS":[{"Host":"/a","Guest":"/a","Mode":"x"}]}`,
		"not json":       `publish = ["a"]`,
	} {
		if _, err := DecodeBound([]byte(data)); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if _, err := DecodeBound([]byte("{" + strings.Repeat(" ", maxBound) + "}")); err == nil {
		t.Error("an oversized bound decoded")
	}
}

// fill sets every field of v to a non-zero value (Mode to ReadWrite).
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i))
		}
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(3)
	case reflect.Uint8:
		v.SetUint(uint64(ReadWrite))
	}
}

// Every grant crosses the wire: a field EncodeBound lost would bound the child by nothing of
// it (a limit lost would be no ceiling at all).
func TestBoundRoundTrip(t *testing.T) {
	g := &Grants{}
	fill(reflect.ValueOf(g).Elem())
	raw, err := EncodeBound(g)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeBound(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, back) {
		t.Fatalf("a bound changed on the wire:\n sent %+v\n got  %+v", g, back)
	}
}
