package system

import (
	"errors"
	"fmt"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/policies"
)

// adminPanel is the running panel of an instance: HTTP on 127.0.0.1 and the control socket.
type adminPanel struct {
	http *admin.Listener
	ctl  *admin.ControlServer
}

// startPanel serves the panel for the instance's home. A failure is reported and leaves the
// instance running without it: the panel must never stop a user from running their modules.
func (in *Instance) startPanel() {
	p := &adminPanel{}
	l, err := admin.NewServer(in.ctl, in.cfg.Title).Listen("127.0.0.1:0", AdminURLFile(in.cfg.Home))
	if err != nil {
		in.errorf("admin panel not started: %v", err)
	} else {
		p.http = l
	}
	cs, err := admin.ListenControl(admin.ControlSocketPath(in.cfg.Home), in.ctl)
	if err != nil {
		in.errorf("control socket not started (orbital ps will not reach this instance): %v", err)
	} else {
		p.ctl = cs
	}
	in.panel = p
	in.undo = append(in.undo, p.Close)
}

// URL is the panel's address, "" if it did not start.
func (p *adminPanel) URL() string {
	if p == nil || p.http == nil {
		return ""
	}
	return p.http.URL
}

// Close stops the panel; closing twice is harmless.
func (p *adminPanel) Close() {
	if p == nil {
		return
	}
	if p.http != nil {
		p.http.Close()
	}
	if p.ctl != nil {
		p.ctl.Close()
	}
}

// startSysService answers the kernel's sys.* introspection requests on the bus (pid 0). A
// failure is reported and leaves the instance running without it.
func (in *Instance) startSysService() {
	audit := func(n int) (any, error) {
		st := in.k.Policies()
		if st == nil || st.Audit() == nil {
			return nil, errors.New("sys.audit: no policies are loaded, so nothing is audited")
		}
		recs, err := policies.ReadAudit(st.Audit().Path())
		if err != nil {
			return nil, fmt.Errorf("sys.audit: %w", err)
		}
		if len(recs) > n {
			recs = recs[len(recs)-n:]
		}
		return recs, nil
	}
	svc, err := admin.StartService(admin.ServiceConfig{Bus: in.k.Bus(), PID: 0, Audit: audit}, in.ctl)
	if err != nil {
		in.errorf("sys.* bus service not started: %v", err)
		return
	}
	in.sys = svc
	in.undo = append(in.undo, svc.Close)
}
