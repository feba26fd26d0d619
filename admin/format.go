package admin

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// FormatDuration renders d compactly: 45s, 12m03s, 3h04m, 2d05h.
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// FormatBytes renders n in binary units: 512B, 3.0KiB, 17.5MiB.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// WriteTable prints procs as the table `orbital ps` shows, sorted by pid.
func WriteTable(w io.Writer, procs []Proc, now time.Time) error {
	sorted := append([]Proc(nil), procs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].PID < sorted[j].PID })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PID\tNAME\tVERSION\tKIND\tSTATE\tUPTIME\tCPU\tCPU%\tMEM\tINBOX\tIN\tOUT\tDROPS\tRESTARTS\tSTARTED BY\tLAST EXIT")
	for _, p := range sorted {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n",
			p.PID, p.Name, dash(p.Version), p.Kind, p.State, FormatDuration(p.Uptime(now)),
			FormatDuration(p.CPU), p.CPUPct, FormatBytes(p.Memory), p.Inbox, p.MsgsIn, p.MsgsOut,
			p.Drops, p.Restarts, dash(p.StartedBy), dash(oneLine(p.LastExit)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range sorted { // hot reloads: the last outcome of each process that had one
		if p.Reload != "" {
			fmt.Fprintf(w, "pid %d %s: %s\n", p.PID, p.Name, oneLine(p.Reload))
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
