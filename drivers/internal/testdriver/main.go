// Command testdriver is a native driver whose behaviour the host's tests choose with its first
// argument (the kernel passes Spec.Args on argv and in the handshake):
//
//	echo         subscribe to "test.echo", answer each request with its payload, and publish
//	             "test.tick" with a shared region every 10 ms
//	crash-after  run as echo, then panic after the duration in the second argument
//	ignore-stop  run as echo but ignore the Stop frame and SIGTERM: only SIGKILL ends it
//	spawn        run as echo and start a child `sleep 300` (the host must kill it too)
//	hang         handshake by hand, then never read the socket or answer a ping
//	nohello      never send the hello frame
//	garbage      handshake, then write garbage to the socket
//	badcookie    send a hello with the wrong magic cookie
//	badversion   send a hello with protocol version 99
//	exit0        handshake and exit 0 at once
package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/orbital/orbital/drivers/driverkit"
	"github.com/orbital/orbital/drivers/wire"
)

func main() {
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "nohello":
		time.Sleep(time.Hour)
	case "hang", "garbage", "badcookie", "badversion":
		raw(mode)
		return
	}
	d, err := driverkit.Start("testdriver", "0.0.1")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	args := d.Args()
	if len(args) == 0 {
		args = []string{"echo"}
	}
	switch args[0] {
	case "exit0":
		d.Close()
		return
	case "ignore-stop":
		signal.Ignore(syscall.SIGTERM)
	case "spawn":
		c := exec.Command("sleep", "300")
		if err := c.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		d.Logf(1, "child %d", c.Process.Pid)
	case "crash-after":
		dur, _ := time.ParseDuration(args[1])
		time.AfterFunc(dur, func() { panic("testdriver: crashing on purpose") })
	}
	echo(d, args[0] == "ignore-stop")
}

func echo(d *driverkit.Driver, ignoreStop bool) {
	if _, err := d.Subscribe("test.echo", driverkit.Reliable); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r, err := d.NewRegion(4096)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mem, _ := r.Bytes()
	tick := time.NewTicker(10 * time.Millisecond)
	stopping := d.Stopping()
	for n := uint64(1); ; {
		select {
		case m, ok := <-d.Messages():
			if !ok {
				return
			}
			for _, rg := range m.Regions {
				if b, err := rg.Bytes(); err == nil && len(b) > 0 {
					m.Payload = append(m.Payload, b[0]) // echo the region's first byte
				}
				rg.Close()
			}
			if m.Kind == driverkit.KindRequest {
				d.Reply(m.Corr, m.Payload)
			}
		case <-tick.C:
			binary.LittleEndian.PutUint64(mem, n)
			d.Publish("test.tick", []byte(strconv.FormatUint(n, 10)), driverkit.Attach{Region: r, Rights: 1})
			n++
		case <-stopping:
			if ignoreStop {
				stopping = nil
				continue
			}
			d.Close()
			return
		}
	}
}

// raw speaks the protocol by hand to misbehave in ways driverkit never would.
func raw(mode string) {
	dup, err := syscall.Dup(3)
	if err != nil {
		os.Exit(1)
	}
	rawSock := os.NewFile(uintptr(dup), "raw")
	c, err := wire.FileConn(os.NewFile(3, "sock"))
	if err != nil {
		os.Exit(1)
	}
	cookie := wire.CookieValue
	if mode == "badcookie" {
		cookie = "not-the-cookie"
	}
	h := wire.Hello{Cookie: cookie, Protocol: wire.Version, Name: "testdriver", Version: "0"}
	if mode == "badversion" {
		h.Protocol = 99
	}
	c.Write(wire.THello, h.Encode())
	if mode == "badcookie" || mode == "badversion" {
		time.Sleep(time.Hour)
	}
	c.Read() // welcome
	if mode == "garbage" {
		rawSock.Write([]byte("\x00\x00\x00\x00\xee\xee\xff\xffthis is not a frame"))
	}
	time.Sleep(time.Hour)
}
