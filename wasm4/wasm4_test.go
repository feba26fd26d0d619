package wasm4

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScript(t *testing.T) {
	s, err := ParseScript(strings.NewReader("# a test\n0 pad1=right+x\n\n10 pad1=- pad2=up mouse=80,40 buttons=left\n12 mouse=off buttons=-\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlayer(s)
	for _, c := range []struct {
		frame int
		want  Input
	}{
		{0, Input{Gamepads: [4]uint8{ButtonRight | ButtonX}, MouseX: OffScreen, MouseY: OffScreen}},
		{9, Input{Gamepads: [4]uint8{ButtonRight | ButtonX}, MouseX: OffScreen, MouseY: OffScreen}},
		{10, Input{Gamepads: [4]uint8{0, ButtonUp}, MouseX: 80, MouseY: 40, MouseButtons: MouseLeft}},
		{20, Input{Gamepads: [4]uint8{0, ButtonUp}, MouseX: OffScreen, MouseY: OffScreen}},
	} {
		if got := p.At(c.frame); got != c.want {
			t.Errorf("frame %d: %+v, want %+v", c.frame, got, c.want)
		}
	}
	for _, bad := range []struct{ src, want string }{
		{"x pad1=up", `line 1: "x" is not a frame number`},
		{"5 pad1=up\n3 pad1=-", "line 2: frame 3 comes after frame 5"},
		{"1 pad1=jump", `unknown button "jump" (want down, left, right, up, x, z joined with +, or -)`},
		{"1 pad5=up", `unknown key "pad5"`},
		{"1 mouse=1", "mouse=1: want X,Y"},
		{"1", "frame 1 sets nothing"},
	} {
		if _, err := ParseScript(strings.NewReader(bad.src)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want %q", bad.src, err, bad.want)
		}
	}
}

func TestMerge(t *testing.T) {
	script := Input{Gamepads: [4]uint8{ButtonX}, MouseX: 5, MouseY: 6, MouseButtons: MouseRight}
	live := Input{Gamepads: [4]uint8{ButtonLeft}, MouseX: OffScreen, MouseY: OffScreen}
	got := Merge(script, live)
	if got.Gamepads[0] != ButtonX|ButtonLeft || got.MouseX != 5 || got.MouseButtons != MouseRight {
		t.Errorf("merge %+v", got)
	}
}

func TestJSNumber(t *testing.T) {
	for f, want := range map[float64]string{1.5: "1.5", 3: "3", -0.25: "-0.25", 1e21: "1e+21", 1.5e-7: "1.5e-7", 123456789: "123456789", 0.1: "0.1"} {
		if got := jsNumber(f); got != want {
			t.Errorf("jsNumber(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestTracefCut(t *testing.T) {
	m := Memory(make([]byte, MemorySize))
	copy(m[0x100:], "a=%d b=%d\x00")
	binary.LittleEndian.PutUint32(m[MemorySize-4:], 7)
	got, ok := m.Tracef(0x100, MemorySize-4)
	if ok || got != "a=7 b=" {
		t.Errorf("Tracef past the end: %q %v, want %q false", got, ok, "a=7 b=")
	}
	copy(m[0x200:], "%s\x00")
	binary.LittleEndian.PutUint32(m[0x300:], 0xffffff00)
	if got, ok := m.Tracef(0x200, 0x300); ok || got != "" {
		t.Errorf("%%s of a pointer past memory: %q %v", got, ok)
	}
}

func TestFit(t *testing.T) {
	for _, c := range []struct{ w, h, scale, ox, oy int }{
		{480, 480, 3, 0, 0}, {500, 340, 2, 90, 10}, {100, 100, 1, -30, -30}, {160, 1000, 1, 0, 420},
	} {
		if s, x, y := Fit(c.w, c.h); s != c.scale || x != c.ox || y != c.oy {
			t.Errorf("Fit(%d,%d) = %d,%d,%d, want %d,%d,%d", c.w, c.h, s, x, y, c.scale, c.ox, c.oy)
		}
	}
}

func TestDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d", "cart.disk")
	d, err := OpenDisk(path)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if n := d.Read(buf); n != 0 {
		t.Fatalf("a new disk reads %d bytes", n)
	}
	big := make([]byte, 2000)
	big[0], big[1023], big[1024] = 1, 2, 3
	if n, err := d.Write(big); n != DiskSize || err != nil {
		t.Fatalf("Write: %d %v", n, err)
	}
	d2, err := OpenDisk(path)
	if err != nil {
		t.Fatal(err)
	}
	all := make([]byte, 2000)
	if n := d2.Read(all); n != DiskSize || all[0] != 1 || all[1023] != 2 || all[1024] != 0 {
		t.Fatalf("reopened: %d bytes, %v", n, all[1020:1026])
	}
	if err := os.WriteFile(path, []byte{9}, 0o000); err == nil && os.Getuid() != 0 {
		if _, err := OpenDisk(path); err == nil {
			t.Error("an unreadable disk file opened")
		}
	}
}

func TestAPU(t *testing.T) {
	a := NewAPU()
	a.Tone(DecodeTone(0x03e80064, 30, 50, ToneNoise|TonePanLeft))
	out := make([]int16, 2*SampleRate/60)
	a.Render(out)
	var left, right int
	for i := 0; i < len(out); i += 2 {
		left += abs(int(out[i]))
		right += abs(int(out[i+1]))
	}
	if left == 0 || right != 0 {
		t.Errorf("noise panned left: left %d right %d, want sound on the left only", left, right)
	}
	a.Tone(DecodeTone(440, 30, 100, TonePulse1|ToneMode3))
	if !a.Playing() {
		t.Error("not playing after one frame of a 30-frame tone")
	}
	out = make([]int16, 2*SampleRate)
	a.Render(out)
	if a.Playing() {
		t.Error("still playing a second later")
	}
	if n := DecodeTone(69, 0, 0, ToneNoteMode); n.Freq1 != 440 {
		t.Errorf("MIDI note 69: %v Hz, want 440", n.Freq1)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
