package backup

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzVerify feeds arbitrary bytes to the backup reader: it must return one of its errors (or
// accept a consistent archive), never panic, and never hand its sink more bytes than an entry
// claims.
func FuzzVerify(f *testing.F) {
	good := sample(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, m, err := walk(bytes.NewReader(data), nil, func(fl File, r io.Reader) error {
			if r == nil {
				return nil
			}
			n, err := io.Copy(io.Discard, r)
			if n > fl.Size {
				t.Fatalf("%s: read %d bytes of %d", fl.Path, n, fl.Size)
			}
			return err
		})
		if err == nil {
			if m == nil {
				t.Fatal("no manifest and no error")
			}
			for _, fl := range m.Files {
				if checkName(fl.Path) != nil {
					t.Fatalf("accepted path %q", fl.Path)
				}
			}
			return
		}
		for _, known := range []error{ErrNotBackup, ErrNewer, ErrTruncated, ErrTampered, ErrInvalid} {
			if errors.Is(err, known) {
				return
			}
		}
		if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			return
		}
		t.Logf("unclassified error: %v", err)
	})
}
