package main

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// The shell's permission prompt, end to end: a module installed with a manifest that asks for
// windows, and no policy granting it any, is typed into the bar of the real shell on Xvfb; the
// prompt card appears (checked from screenshots) and is answered with real X clicks and keys.

// Colours of the prompt card (shell/theme.go).
var (
	e2eAccent     = color.RGBA{0x5b, 0x9c, 0xff, 0xff} // the card's left stripe
	e2eAccentSoft = color.RGBA{0x2f, 0x4f, 0x85, 0xff} // the Always allow button
	e2eField      = color.RGBA{0x25, 0x2a, 0x37, 0xff} // Deny and Allow once buttons
)

// promptCard is the card's area on the desktop: under the bar, at the left.
var promptCard = image.Rect(60, e2eTopBarH, 620, 330)

// installClockx installs clock.wasm as "clockx" with a manifest requesting windows into a
// fresh home; no policy matches clockx.
func installClockx(t *testing.T) string {
	t.Helper()
	home := testenv.Home(t)
	wasmDir, manDir := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(wasmDir, "clockx.wasm"), mustRead(t, testenv.Module(t, "clock")), 0o644); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(manDir, "clockx"), 0o755)
	manifest := `name = "clockx"
version = "1.0.0"
kind = "app"
description = "The clock, under another name, with no policy of its own"
entry = "clockx.wasm"

[permissions.ui]
windows = true
`
	if err := os.WriteFile(filepath.Join(manDir, "clockx", "module.toml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "install", "--home", home, "--manifests", manDir, wasmDir)
	if !strings.Contains(out, "installed clockx@1.0.0") {
		t.Fatalf("install clockx: %s", out)
	}
	if _, err := os.Stat(filepath.Join(home, "policies", "clockx.toml")); err == nil {
		t.Fatal("a policy for clockx exists before the prompt")
	}
	return home
}

// pixelsOf returns the bounds of the pixels of r within 12 of c, and how many there are.
func pixelsOf(img *image.RGBA, r image.Rectangle, c color.RGBA) (image.Rectangle, int) {
	var b image.Rectangle
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if colourDist(img.RGBAAt(x, y), c) <= 12 {
				n++
				b = b.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return b, n
}

// promptShown reports whether the card is up: its accent stripe and its Always allow button.
func promptShown(img *image.RGBA) bool {
	stripe, ns := pixelsOf(img, promptCard, e2eAccent)
	_, nb := pixelsOf(img, promptCard, e2eAccentSoft)
	return ns > 100 && stripe.Dy() > 60 && nb > 1000
}

func centre(r image.Rectangle) image.Point {
	return image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
}

func TestShellPromptAlwaysAllow(t *testing.T) {
	home := installClockx(t)
	sp := startShellHome(t, home)
	sp.waitForBar()
	sp.typeInBar("clockx")
	var img *image.RGBA
	sp.waitFor(60*time.Second, "the permission prompt for clockx", func() bool {
		img = sp.screen()
		return promptShown(img)
	})
	// No window yet: the module waits for the answer.
	if f := lightBounds(img, image.Rect(0, 340, 1280, 800-e2eStripH)); f.Dx() > 200 && f.Dy() > 200 {
		t.Fatalf("a window opened before the prompt was answered (screen: %s)", savePNG(t, img))
	}
	always, _ := pixelsOf(img, promptCard, e2eAccentSoft)
	sp.click(centre(always))
	sp.waitFor(60*time.Second, "the clockx window, the card gone and the Saved notice", func() bool {
		img := sp.screen()
		f := lightBounds(img, desktop)
		return f.Dx() > 200 && f.Dy() > 200 && !promptShown(img) && noticeShown(img)
	})
	pol, err := os.ReadFile(filepath.Join(home, "policies", "clockx.toml"))
	if err != nil {
		t.Fatalf("Always allow wrote no policy file: %v", err)
	}
	if !strings.Contains(string(pol), `match = "clockx"`) || !strings.Contains(string(pol), "[ui]") || !strings.Contains(string(pol), "windows = true") {
		t.Fatalf("policy file does not grant clockx windows:\n%s", pol)
	}
	if !strings.Contains(sp.stderr.String(), "Saved ") {
		t.Errorf("no \"Saved\" notice in the shell's log:\n%s", sp.stderr.String())
	}
	// A second open is not asked about: the policy grants it now, so a second window opens.
	before := lightBounds(sp.screen(), desktop)
	sp.typeInBar("clockx")
	sp.waitFor(60*time.Second, "a second clockx window", func() bool {
		img := sp.screen()
		return !promptShown(img) && lightBounds(img, desktop).Dx() > before.Dx()+200
	})
	if strings.Count(sp.stderr.String(), "Saved ") != 1 {
		t.Fatalf("asked again although the policy now grants clockx:\n%s", sp.stderr.String())
	}
	sp.running()
}

// noticeShown reports whether the line under the bar shows a notice: its accent edge.
func noticeShown(img *image.RGBA) bool {
	_, n := pixelsOf(img, image.Rect(0, e2eTopBarH+4, 3, e2eTopBarH+e2eErrLineH-4), e2eAccent)
	return n > e2eErrLineH/2
}

func TestShellPromptDeny(t *testing.T) {
	home := installClockx(t)
	sp := startShellHome(t, home)
	sp.waitForBar()
	sp.typeInBar("clockx")
	sp.waitFor(60*time.Second, "the permission prompt for clockx", func() bool {
		return promptShown(sp.screen())
	})
	sp.mustXdotool("key", "Escape") // Escape denies
	sp.waitFor(30*time.Second, "the card gone and the denial on the line under the bar", func() bool {
		return !promptShown(sp.screen()) && strings.Contains(sp.stderr.String(), "Denied clockx: Open windows")
	})
	// Opened with what policy grants (no windows): the clock cannot open its window, so no
	// clock face appears, no policy file is written, and the shell keeps running.
	if f := lightBounds(sp.screen(), desktop); f.Dx() > 200 && f.Dy() > 200 {
		t.Fatalf("a window opened although windows were denied (screen: %s)", savePNG(t, sp.screen()))
	}
	if _, err := os.Stat(filepath.Join(home, "policies", "clockx.toml")); err == nil {
		t.Fatal("Deny wrote a policy file")
	}
	// The clock cannot start without its window; the bar says why.
	const why = `open "clockx": clockx exited on start with exit status 1 (you denied it: Open windows)`
	sp.waitFor(30*time.Second, "the failure to start, naming the denial", func() bool {
		return strings.Count(sp.stderr.String(), why) == 1 && errorLineShown(sp.screen())
	})
	// A second open in the same session is not asked again (the denial is remembered).
	sp.typeInBar("clockx")
	sp.waitFor(30*time.Second, "the second open to end", func() bool {
		return strings.Count(sp.stderr.String(), why) == 2
	})
	if promptShown(sp.screen()) || strings.Count(sp.stderr.String(), "Denied clockx") != 1 {
		t.Fatalf("the prompt came back after Deny in the same session:\n%s", sp.stderr.String())
	}
	sp.running()
}

// TestShellPromptAllowOnceKeys answers with the keyboard: Enter allows this run only (the
// window opens, no policy file is written) and the next open asks again; Escape denies it.
func TestShellPromptAllowOnceKeys(t *testing.T) {
	home := installClockx(t)
	sp := startShellHome(t, home)
	sp.waitForBar()
	sp.typeInBar("clockx")
	sp.waitFor(60*time.Second, "the permission prompt for clockx", func() bool {
		return promptShown(sp.screen())
	})
	sp.mustXdotool("key", "Return")
	sp.waitFor(60*time.Second, "the clockx window and the card gone", func() bool {
		img := sp.screen()
		f := lightBounds(img, desktop)
		return f.Dx() > 200 && f.Dy() > 200 && !promptShown(img)
	})
	if _, err := os.Stat(filepath.Join(home, "policies", "clockx.toml")); err == nil {
		t.Fatal("Allow once wrote a policy file")
	}
	sp.typeInBar("clockx")
	sp.waitFor(60*time.Second, "the prompt again (allow once is for one run)", func() bool {
		return promptShown(sp.screen())
	})
	sp.mustXdotool("key", "Escape")
	sp.waitFor(30*time.Second, "the second clockx to fail without its window", func() bool {
		return !promptShown(sp.screen()) && strings.Contains(sp.stderr.String(), "(you denied it: Open windows)")
	})
	sp.running()
}

// TestShellPromptDenyRemembered: a Deny is kept in the home, so the next shell does not ask
// about that module again (it opens with what policy grants, and says what was denied);
// `orbital policy explain` shows the denial and `orbital policy forget` makes the shell ask
// again.
func TestShellPromptDenyRemembered(t *testing.T) {
	home := installClockx(t)
	first := startShellHome(t, home)
	first.waitForBar()
	first.typeInBar("clockx")
	first.waitFor(60*time.Second, "the permission prompt for clockx", func() bool { return promptShown(first.screen()) })
	first.mustXdotool("key", "Escape")
	first.waitFor(30*time.Second, "the denial", func() bool {
		return strings.Contains(first.stderr.String(), "Denied clockx: Open windows")
	})
	first.stop()

	second := startShellHome(t, home)
	second.waitForBar()
	second.typeInBar("clockx")
	const why = `clockx exited on start with exit status 1 (you denied it: Open windows)`
	second.waitFor(60*time.Second, "clockx opened without a question, failing for want of windows", func() bool {
		return strings.Contains(second.stderr.String(), why)
	})
	if promptShown(second.screen()) || strings.Contains(second.stderr.String(), "Denied clockx") {
		t.Fatalf("the next shell asked again:\n%s", second.stderr.String())
	}
	second.stop()

	out, _, code := orbitalCmd(t, "policy", "explain", "--home", home, "clockx")
	if code != 0 || !strings.Contains(out, "denied in the shell on ") || !strings.Contains(out, "Open windows") {
		t.Fatalf("policy explain does not show the denial (exit %d):\n%s", code, out)
	}
	out, _, code = orbitalCmd(t, "policy", "forget", "--home", home, "clockx")
	if code != 0 || !strings.Contains(out, "forgot 1 denied prompt(s) of clockx") {
		t.Fatalf("policy forget: exit %d\n%s", code, out)
	}

	third := startShellHome(t, home)
	third.waitForBar()
	third.typeInBar("clockx")
	third.waitFor(60*time.Second, "the prompt again after forget", func() bool { return promptShown(third.screen()) })
	third.running()
}
