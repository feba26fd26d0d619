package main

import (
	"fmt"
	"os"
	"time"

	"github.com/orbital/orbital/drivers/camera"
	"github.com/orbital/orbital/drivers/driverkit"
)

// Version is the driver's version, reported in the handshake.
const Version = "0.1.0"

func main() {
	d, err := driverkit.Start("camera", Version)
	if err != nil {
		fmt.Fprintln(os.Stderr, "orbital-camera:", err)
		os.Exit(1)
	}
	var o camera.Options
	args := d.Args()
	for i := 0; i+1 < len(args); i += 2 {
		switch args[i] {
		case "--dev":
			o.DevDir = args[i+1]
		case "--idle":
			if o.IdleStop, err = time.ParseDuration(args[i+1]); err != nil {
				d.Logf(3, "camera: --idle %q: %v", args[i+1], err)
			}
		default:
			d.Logf(2, "camera: unknown argument %q (known: --dev DIR, --idle DURATION)", args[i])
		}
	}
	if err := camera.NewService(d, o).Run(); err != nil {
		d.Logf(3, "camera: %v", err)
		d.Close()
		os.Exit(1)
	}
	d.Close()
}
