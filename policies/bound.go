package policies

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// A bound is a namespace's grants as they travel to another node of a cluster, where they
// bound a child the process spawned there (Store.BindWithin): JSON of Grants, sources
// included. Decoding is strict, so a bound that cannot be read refuses the spawn instead of
// bounding nothing.

// maxBound is the largest encoded bound accepted.
const maxBound = 256 << 10

// EncodeBound encodes g for DecodeBound on another node.
func EncodeBound(g *Grants) ([]byte, error) { return json.Marshal(g) }

// DecodeBound reads a bound made by EncodeBound: unknown fields, trailing data and negative
// limits are errors.
func DecodeBound(data []byte) (*Grants, error) {
	if len(data) > maxBound {
		return nil, fmt.Errorf("policies: a bound of %d bytes (limit %d)", len(data), maxBound)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	g := &Grants{}
	if err := d.Decode(g); err != nil {
		return nil, fmt.Errorf("policies: bound: %w", err)
	}
	if d.More() {
		return nil, fmt.Errorf("policies: bound: data after the grants")
	}
	return g, checkBound(g)
}

// checkBound refuses negative limits: a ceiling below zero would win the intersection and
// then read as "not set" (the kernel's default). Every other odd value only narrows (an
// invalid pattern or path matches nothing, a bad mode is read-only). It walks every Limit of
// Grants, so a new limit kind is covered without a line here.
func checkBound(g *Grants) error {
	var bad error
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if l, ok := v.Interface().(Limit); ok {
			if l.N < 0 && bad == nil {
				bad = fmt.Errorf("policies: bound: a negative limit (%d)", l.N)
			}
			return
		}
		if v.Kind() == reflect.Struct {
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		}
	}
	walk(reflect.ValueOf(*g))
	return bad
}
