package jsrt

import (
	"image/color"
	"math"
	"strconv"
	"strings"
)

// namedColors are the CSS colour keywords a script is most likely to use.
var namedColors = map[string]color.RGBA{
	"black": {0, 0, 0, 255}, "white": {255, 255, 255, 255}, "red": {255, 0, 0, 255},
	"green": {0, 128, 0, 255}, "lime": {0, 255, 0, 255}, "blue": {0, 0, 255, 255},
	"yellow": {255, 255, 0, 255}, "cyan": {0, 255, 255, 255}, "aqua": {0, 255, 255, 255},
	"magenta": {255, 0, 255, 255}, "fuchsia": {255, 0, 255, 255}, "gray": {128, 128, 128, 255},
	"grey": {128, 128, 128, 255}, "silver": {192, 192, 192, 255}, "maroon": {128, 0, 0, 255},
	"olive": {128, 128, 0, 255}, "navy": {0, 0, 128, 255}, "purple": {128, 0, 128, 255},
	"teal": {0, 128, 128, 255}, "orange": {255, 165, 0, 255}, "pink": {255, 192, 203, 255},
	"brown": {165, 42, 42, 255}, "gold": {255, 215, 0, 255}, "transparent": {},
}

// parseColor reads a CSS colour: #rgb, #rgba, #rrggbb, #rrggbbaa, rgb(r, g, b),
// rgba(r, g, b, a) (a from 0 to 1) or a keyword of namedColors. The result has straight alpha.
func parseColor(s string) (color.RGBA, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if c, ok := namedColors[s]; ok {
		return c, true
	}
	if hex, ok := strings.CutPrefix(s, "#"); ok {
		return parseHex(hex)
	}
	inner, isRGBA := strings.CutPrefix(s, "rgba(")
	if !isRGBA {
		var ok bool
		if inner, ok = strings.CutPrefix(s, "rgb("); !ok {
			return color.RGBA{}, false
		}
	}
	inner, ok := strings.CutSuffix(inner, ")")
	if !ok {
		return color.RGBA{}, false
	}
	parts := strings.Split(inner, ",")
	if len(parts) != 3 && len(parts) != 4 {
		return color.RGBA{}, false
	}
	var v [4]float64
	v[3] = 1
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) {
			return color.RGBA{}, false
		}
		v[i] = f
	}
	ch := func(f float64) uint8 { return uint8(math.Round(math.Max(0, math.Min(255, f)))) }
	return color.RGBA{ch(v[0]), ch(v[1]), ch(v[2]), ch(v[3] * 255)}, true
}

func parseHex(h string) (color.RGBA, bool) {
	switch len(h) {
	case 3, 4:
		var b strings.Builder
		for _, c := range h {
			b.WriteRune(c)
			b.WriteRune(c)
		}
		h = b.String()
	case 6, 8:
	default:
		return color.RGBA{}, false
	}
	if len(h) == 6 {
		h += "ff"
	}
	n, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.RGBA{}, false
	}
	return color.RGBA{uint8(n >> 24), uint8(n >> 16), uint8(n >> 8), uint8(n)}, true
}
