package kernel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
)

// entrySum is a cache entry's <key>.sum: what its .cwasm holds and how to check it.
//
// The .cwasm is wasmtime's serialized module (Code bytes), then, from the next page boundary,
// the images of the module's defined memories one after another (Images: each one's size, 0
// for a memory without data). CRC holds the CRC-32C of each sumChunk bytes of the file, so the
// file can be copied and checked a chunk at a time by several goroutines (cache_copy.go).
type entrySum struct {
	Format int      `json:"format"`
	Digest string   `json:"module_sha256"` // of the WASM bytes the code was compiled from
	Code   int64    `json:"code_bytes"`
	Images []int64  `json:"image_bytes,omitempty"`
	CRC    []uint32 `json:"crc32c_per_mib"`
}

const (
	entryFormat = 2
	sumChunk    = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// entryParts is the .cwasm of serialized module ser and image bytes imgs: ser, padding to the
// page, imgs.
func entryParts(ser, imgs []byte) [][]byte {
	if len(imgs) == 0 {
		return [][]byte{ser}
	}
	return [][]byte{ser, make([]byte, imagesAt(int64(len(ser)))-int64(len(ser))), imgs}
}

// imagesAt is where the images start in a .cwasm whose code is code bytes.
func imagesAt(code int64) int64 { return (code + imagePage - 1) / imagePage * imagePage }

// newEntrySum is the sum of the .cwasm made of parts (entryParts).
func newEntrySum(digest string, ser []byte, sizes []int64, parts [][]byte) *entrySum {
	s := &entrySum{Format: entryFormat, Digest: digest, Code: int64(len(ser))}
	var total int64
	for _, n := range sizes {
		total += n
	}
	if total > 0 {
		s.Images = sizes
	}
	var crc uint32
	var in int64 // bytes of the current chunk summed so far
	for _, p := range parts {
		for len(p) > 0 {
			n := min(int64(len(p)), sumChunk-in)
			crc = crc32.Update(crc, castagnoli, p[:n])
			p, in = p[n:], in+n
			if in == sumChunk {
				s.CRC, crc, in = append(s.CRC, crc), 0, 0
			}
		}
	}
	if in > 0 {
		s.CRC = append(s.CRC, crc)
	}
	return s
}

func (s *entrySum) encode() []byte {
	b, _ := json.Marshal(s)
	return append(b, '\n')
}

// size is the length of the .cwasm the sum describes.
func (s *entrySum) size() int64 {
	var imgs int64
	for _, n := range s.Images {
		imgs += n
	}
	if imgs == 0 {
		return s.Code
	}
	return imagesAt(s.Code) + imgs
}

// imageBytes is the images' total.
func (s *entrySum) imageBytes() int64 {
	var n int64
	for _, x := range s.Images {
		n += x
	}
	return n
}

// parseEntrySum reads a .sum, refusing anything that is not a consistent sum of this format.
func parseEntrySum(b []byte) (*entrySum, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var s entrySum
	if err := d.Decode(&s); err != nil {
		return nil, err
	}
	if s.Format != entryFormat || len(s.Digest) != 64 || s.Code <= 0 {
		return nil, fmt.Errorf("not a format %d sum", entryFormat)
	}
	for _, n := range s.Images {
		if n < 0 || n%imagePage != 0 || n > 1<<40 {
			return nil, fmt.Errorf("bad image size %d", n)
		}
	}
	if want := (s.size() + sumChunk - 1) / sumChunk; int64(len(s.CRC)) != want {
		return nil, fmt.Errorf("%d checksums for %d bytes", len(s.CRC), s.size())
	}
	return &s, nil
}
