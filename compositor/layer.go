package compositor

import "fmt"

// Layer groups surfaces into bands drawn back to front: every Background surface is below every
// Windows surface, which is below every Chrome surface. Module surfaces live in Windows; only the
// shell puts surfaces in Background or Chrome, so a module can never draw over shell chrome.
type Layer int

const (
	LayerBackground Layer = iota // desktop wallpaper, drawn first
	LayerWindows                 // module surfaces
	LayerChrome                  // shell chrome: URL bar, title bars, task strip, prompts
)

func (l Layer) String() string {
	switch l {
	case LayerBackground:
		return "background"
	case LayerWindows:
		return "windows"
	case LayerChrome:
		return "chrome"
	}
	return fmt.Sprintf("layer(%d)", int(l))
}

func (l Layer) valid() bool { return l >= LayerBackground && l <= LayerChrome }
