package registry

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/orbital/orbital/internal/tomlguard"
)

// Config is the registry's part of $ORBITAL_HOME/config.toml, its [registry] table:
//
//	[registry]
//	remotes = ["http://127.0.0.1:7070"]
//
// Other tables of the file belong to other parts of Orbital and are left alone; unknown keys
// inside [registry] are errors.
type Config struct {
	Registries []string
}

// LoadConfig reads the [registry] table of path; a missing file gives the zero Config. A file
// over tomlguard's bounds is refused before it is decoded.
func LoadConfig(path string) (Config, error) {
	b, err := tomlguard.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, nil
	}
	if err != nil {
		return Config{}, err
	}
	return parseConfig(b, path)
}

func parseConfig(b []byte, path string) (Config, error) {
	var raw struct {
		Registry toml.Primitive `toml:"registry"`
	}
	md, err := toml.Decode(string(b), &raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return Config{}, fmt.Errorf("%s:%d: %s", path, pe.Position.Line, pe.Message)
		}
		return Config{}, fmt.Errorf("%s: %v", path, err)
	}
	var sec struct {
		Remotes []string `toml:"remotes"`
	}
	if err := md.PrimitiveDecode(raw.Registry, &sec); err != nil {
		return Config{}, fmt.Errorf("%s: [registry]: %v", path, err)
	}
	for _, k := range md.Undecoded() {
		if len(k) > 0 && k[0] == "registry" {
			return Config{}, fmt.Errorf("%s:%d: unknown key %s (the [registry] table has only remotes)", path, keyLine(b, k), k)
		}
	}
	for _, u := range sec.Remotes {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return Config{}, fmt.Errorf("%s: [registry] remotes: %q is not an http(s) URL", path, u)
		}
	}
	return Config{Registries: sec.Remotes}, nil
}
