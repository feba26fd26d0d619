package audio

import (
	"testing"
	"time"

	"github.com/orbital/orbital/wasm4"
)

// BenchmarkTone is what a cart's tone call costs its thread with sound on: Voice.Tone on a
// voice whose stream runs, against a bare send on a buffered channel. Both queues are emptied
// every 32 tones on the same goroutine (the renderer takes them every request), so what is
// measured is the caller's side. The frame loop pays this per tone call and nothing per frame.
func BenchmarkTone(b *testing.B) {
	t := wasm4.DecodeTone(440, 10, 100, wasm4.TonePulse1)
	b.Run("base=chan-send", func(b *testing.B) {
		ch := make(chan wasm4.ToneArgs, toneQueue)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			select {
			case ch <- t:
			default:
			}
			if i%32 == 31 {
				for len(ch) > 0 {
					<-ch
				}
			}
		}
	})
	b.Run("voice", func(b *testing.B) {
		v := New(Config{Server: "unix:/nonexistent", stall: time.Hour}).Voice("bench", nil)
		v.state = playing // as if connected and asked for samples just now: Tone only queues
		v.lastReq.Store(time.Now().UnixNano())
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if v.Tone(t) != "" {
				b.Fatal("refused")
			}
			if i%32 == 31 {
				for len(v.tones) > 0 {
					<-v.tones
				}
			}
		}
	})
}
