package main

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// page renders the status page: one section per URL with its state, a chart of its kept
// checks (one bar per check: green up, red down, height by response time) and the latest
// checks in a table.
func page(all []URLStatus, interval time.Duration, now time.Time) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>Watchdog</title>
<style>body{font:14px sans-serif;margin:2em;color:#222}section{margin-bottom:2em}
.up{color:#1a7f37}.down{color:#cf222e}table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left}
svg{background:#f6f8fa;border:1px solid #ddd}</style></head><body>
<h1>Watchdog</h1>`)
	fmt.Fprintf(&b, "<p>Checks every %v; <a href=\"api/status\">JSON</a>. Page made %s.</p>\n", interval, now.UTC().Format(time.RFC3339))
	if len(all) == 0 {
		b.WriteString(`<p id="empty">No URLs to check yet: <code>orbital kv watchdog put config/urls "https://example.org/"</code> (one URL per line).</p>`)
	}
	for _, s := range all {
		state, class := "DOWN", "down"
		if s.Up {
			state, class = "UP", "up"
		}
		if s.Checks == 0 {
			state, class = "not checked yet", ""
		}
		fmt.Fprintf(&b, "<section><h2><span class=\"state %s\">%s</span> %s</h2>\n", class, state, html.EscapeString(s.URL))
		fmt.Fprintf(&b, "<p>%d checks kept, %.0f%% up</p>\n", s.Checks, 100*s.Uptime)
		b.WriteString(chart(s.History))
		b.WriteString("<table><tr><th>time</th><th>state</th><th>status</th><th>ms</th><th>error</th></tr>\n")
		for i := len(s.History) - 1; i >= 0 && i >= len(s.History)-10; i-- {
			c := s.History[i]
			st, cl := "DOWN", "down"
			if c.Up {
				st, cl = "UP", "up"
			}
			fmt.Fprintf(&b, "<tr class=\"check %s\"><td>%s</td><td>%s</td><td>%d</td><td>%d</td><td>%s</td></tr>\n",
				cl, c.Time.UTC().Format("15:04:05"), st, c.Status, c.MS, html.EscapeString(c.Error))
		}
		b.WriteString("</table></section>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// chart draws checks as bars in an SVG: newest on the right.
func chart(checks []Check) string {
	const w, h, bar = 600, 80, 5
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`, w, h, w, h)
	slots := w / bar
	start := max(0, len(checks)-slots)
	for i, c := range checks[start:] {
		x := w - (len(checks)-start-i)*bar
		bh, color, class := h-10, "#cf222e", "down"
		if c.Up {
			// Height by response time: 0 ms full height down to 1 s and more at a third.
			bh = h - 10 - int(min(c.MS, 1000)*int64(h-10)*2/3/1000)
			color, class = "#2da44e", "up"
		}
		fmt.Fprintf(&b, `<rect class="%s" x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s %s</title></rect>`,
			class, x, h-bh, bar-1, bh, color, c.Time.UTC().Format(time.RFC3339), strings.ToUpper(class))
	}
	b.WriteString("</svg>\n")
	return b.String()
}
