package sdk

import (
	"encoding/binary"
	"slices"
	"testing"
)

func TestBatchEncoding(t *testing.T) {
	b := (&Batch{}).Put("k", []byte("vv")).Delete("gone")
	want := []byte{1, 1, 0, 0, 0, 'k', 2, 0, 0, 0, 'v', 'v', 2, 4, 0, 0, 0, 'g', 'o', 'n', 'e'}
	if !slices.Equal(b.buf, want) || b.Len() != 2 {
		t.Fatalf("encoded %v, want %v", b.buf, want)
	}
}

func TestParseKVPage(t *testing.T) {
	page := binary.LittleEndian.AppendUint32(nil, 2)
	page = binary.LittleEndian.AppendUint32(page, 3)
	page = append(page, "cur"...)
	for _, k := range []string{"a", "bc"} {
		page = binary.LittleEndian.AppendUint32(page, uint32(len(k)))
		page = append(page, k...)
	}
	keys, next, err := parseKVPage(page)
	if err != nil || !slices.Equal(keys, []string{"a", "bc"}) || string(next) != "cur" {
		t.Fatalf("%q %q %v", keys, next, err)
	}
	for n := range page {
		if _, _, err := parseKVPage(page[:n]); err == nil && n < len(page) {
			t.Errorf("a page cut at %d bytes parsed", n)
		}
	}
}
