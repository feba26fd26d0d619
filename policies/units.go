package policies

import (
	"fmt"
	"strconv"
	"strings"
)

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// ParseSize reads a byte count: "64MiB", "512KiB", "1GiB", "100MB" (powers of 1000), "64M"
// (binary, as ulimit and docker read it) or a plain number of bytes. It is Orbital's one size
// parser: policy files, manifests and command-line flags all read sizes with it.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a positive size (e.g. \"64MiB\", \"512KiB\", \"1GiB\")", s)
	}
	return n * mult, nil
}

// FormatSize writes n the way ParseSize reads it, in the largest exact binary unit.
func FormatSize(n int64) string {
	for _, u := range []struct {
		s string
		m int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.m && n%u.m == 0 {
			return strconv.FormatInt(n/u.m, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// MaxSurfaceSide is the largest surface side the ABI accepts.
const MaxSurfaceSide = 8192

// ParseSurface reads "WIDTHxHEIGHT", each 1..8192.
func ParseSurface(s string) (w, h int, err error) {
	a, b, ok := strings.Cut(s, "x")
	if ok {
		w, err = strconv.Atoi(a)
		if err == nil {
			h, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || w < 1 || h < 1 || w > MaxSurfaceSide || h > MaxSurfaceSide {
		return 0, 0, fmt.Errorf("%q: want WIDTHxHEIGHT, each 1..%d (e.g. \"1920x1080\")", s, MaxSurfaceSide)
	}
	return w, h, nil
}

// ParsePercent reads a share of one core: "25%" (1% to 100%).
func ParsePercent(s string) (int64, error) {
	t := strings.TrimSpace(s)
	num, ok := strings.CutSuffix(t, "%")
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if !ok || err != nil || n < 1 || n > 100 {
		return 0, fmt.Errorf("%q is not a share of one core from \"1%%\" to \"100%%\" (e.g. \"25%%\")", s)
	}
	return n, nil
}
