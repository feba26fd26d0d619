// Command testdriver is a native driver whose behaviour the host's tests choose with its first
// argument (the kernel passes Spec.Args on argv and in the handshake):
//
//	echo         subscribe to "test.echo", answer each request with its payload, and publish
//	             "test.tick" with a shared region every 10 ms; a request on "test.peer" is
//	             answered with what the kernel said about the sender ("name key=n ..."),
//	             audited as refused and counted in the usage table; a gone peer is logged
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
	"sort"
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
	for _, t := range []string{"test.echo", "test.peer"} {
		if _, err := d.Subscribe(t, driverkit.Reliable); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	asked := map[uint32]int64{}
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
			switch {
			case m.Kind == driverkit.KindPeerGone:
				d.Logf(1, "peer %d gone", m.From)
			case m.Kind == driverkit.KindRequest && m.Topic == "test.peer":
				d.Reply(m.Corr, []byte(peerText(m.Peer)))
				d.Audit(m.From, "peer", "test.peer", "refused on purpose")
				asked[m.From]++
				var rows []driverkit.UsageRow
				for pid, n := range asked {
					rows = append(rows, driverkit.UsageRow{PID: pid, Values: map[string]int64{"asked": n}})
				}
				d.ReportUsage(rows)
			case m.Kind == driverkit.KindRequest:
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

// peerText is "name key=n ..." for a peer, "unknown" without one.
func peerText(p *driverkit.Peer) string {
	if p == nil {
		return "unknown"
	}
	s := p.Name
	keys := make([]string, 0, len(p.Limits))
	for k := range p.Limits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s += fmt.Sprintf(" %s=%d", k, p.Limits[k])
	}
	return s
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
