package drivers_test

import (
	"os/exec"
	"testing"

	"github.com/orbital/orbital/drivers/drivertest"
)

// BenchmarkStart measures starting and stopping a driver through the host: digest of the
// binary into a sealed memfd, the trampoline re-exec with the sandbox, the handshake, then the
// Stop frame and reaping. The baseline is a plain fork+exec+wait of the same binary (which
// exits at once when not started by a kernel).
func BenchmarkStart(b *testing.B) {
	s := spec(b, "echo")
	b.Run("base=exec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			exec.Command(s.Path).Run()
		}
	})
	b.Run("driver", func(b *testing.B) {
		h := drivertest.New(b)
		b.ReportAllocs()
		for b.Loop() {
			d, err := h.Manager.Start(s)
			if err != nil {
				b.Fatal(err)
			}
			d.Stop()
		}
	})
}
