package admin

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
)

// metrics writes the process table in the Prometheus text exposition format (version 0.0.4).
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	procs := s.ctl.Processes()
	now := s.now()
	type metric struct {
		name, help, typ string
		value           func(Proc) float64
	}
	ms := []metric{
		{"orbital_process_up", "1 while the process runs or blocks, 0 once it ended.", "gauge", func(p Proc) float64 {
			if p.State == "exited" || p.State == "crashed" {
				return 0
			}
			return 1
		}},
		{"orbital_process_uptime_seconds", "Seconds since the process started.", "gauge", func(p Proc) float64 { return p.Uptime(now).Seconds() }},
		{"orbital_process_cpu_seconds_total", "CPU time used by the process's thread.", "counter", func(p Proc) float64 { return p.CPU.Seconds() }},
		{"orbital_process_memory_bytes", "Linear memory size.", "gauge", func(p Proc) float64 { return float64(p.Memory) }},
		{"orbital_process_inbox_depth", "Messages waiting in the inbox.", "gauge", func(p Proc) float64 { return float64(p.Inbox) }},
		{"orbital_process_messages_in_total", "Messages delivered to the process.", "counter", func(p Proc) float64 { return float64(p.MsgsIn) }},
		{"orbital_process_messages_out_total", "Messages the process sent.", "counter", func(p Proc) float64 { return float64(p.MsgsOut) }},
		{"orbital_process_drops_total", "Messages dropped on the way to the process.", "counter", func(p Proc) float64 { return float64(p.Drops) }},
		{"orbital_process_restarts_total", "Restarts of the module.", "counter", func(p Proc) float64 { return float64(p.Restarts) }},
	}
	for _, m := range ms {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.typ)
		for _, p := range procs {
			fmt.Fprintf(bw, "%s{pid=\"%d\",name=\"%s\",kind=\"%s\"} %g\n", m.name, p.PID, labelEscape(p.Name), labelEscape(p.Kind), m.value(p))
		}
	}
	fmt.Fprintf(bw, "# HELP orbital_processes Processes in the table.\n# TYPE orbital_processes gauge\norbital_processes %d\n", len(procs))
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func labelEscape(s string) string { return labelEscaper.Replace(s) }
