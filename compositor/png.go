package compositor

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
)

// WritePNG encodes img as PNG at path atomically: it writes a temporary file in the same
// directory, syncs it and renames it over path, so a reader never sees half a picture.
func WritePNG(img image.Image, path string) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write png %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err = enc.Encode(f, img); err != nil {
		return fmt.Errorf("write png %s: encode: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write png %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write png %s: %w", path, err)
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("write png %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write png %s: %w", path, err)
	}
	return nil
}
