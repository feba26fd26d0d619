package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/orbital/orbital/drivers/driverkit"
	"github.com/orbital/orbital/drivers/gpu"
	"github.com/orbital/orbital/drivers/gpu/worker"
	"github.com/orbital/orbital/policies"
)

// Version is the driver's version, reported in the handshake.
const Version = "0.1.0"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--worker" {
		os.Exit(worker.Main())
	}
	d, err := driverkit.Start("gpu", Version)
	if err != nil {
		fmt.Fprintln(os.Stderr, "orbital-gpu:", err)
		os.Exit(1)
	}
	o, err := options(d.Args())
	if err != nil {
		d.Logf(3, "gpu: %v", err)
	}
	if err := gpu.NewService(d, o).Run(); err != nil {
		d.Logf(3, "gpu: %v", err)
		d.Close()
		os.Exit(1)
	}
	d.Close()
}

// options reads the driver's arguments; a bad one is reported and its default kept.
func options(args []string) (gpu.Options, error) {
	var o gpu.Options
	var bad error
	for i := 0; i+1 < len(args); i += 2 {
		v := args[i+1]
		var err error
		switch args[i] {
		case "--memory":
			o.Memory, err = policies.ParseSize(v)
		case "--rate":
			o.Rate, err = strconv.Atoi(v)
		case "--budget":
			o.Budget, err = time.ParseDuration(v)
		case "--first-run":
			o.FirstRun, err = time.ParseDuration(v)
		case "--clients":
			o.MaxClients, err = strconv.Atoi(v)
		case "--backend":
			o.Backend = v
		default:
			err = fmt.Errorf("unknown argument (known: --memory SIZE, --rate N, --budget DURATION, --first-run DURATION, --clients N, --backend NAME)")
		}
		if err != nil && bad == nil {
			bad = fmt.Errorf("argument %s %q: %v", args[i], v, err)
		}
	}
	return o, bad
}
