package registry

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Parsing of the [triggers] table (the schema is Triggers in manifest.go). The instance that
// runs the triggers (package system) uses these same functions, so what install accepts is
// exactly what runs.

// cronParser reads five-field cron lines and the descriptors (@every, @hourly, @daily,
// @weekly, @monthly, @yearly, @midnight), as cron.ParseStandard does.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses one schedule line. Times are the local time of the instance: a
// CRON_TZ= or TZ= prefix is refused. @every takes at least one second.
func ParseSchedule(s string) (cron.Schedule, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "TZ=") || strings.HasPrefix(t, "CRON_TZ=") {
		return nil, fmt.Errorf("schedule %q: a time zone prefix is not supported; schedules run in local time", s)
	}
	if rest, ok := strings.CutPrefix(t, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < time.Second {
			return nil, fmt.Errorf("schedule %q: want \"@every <duration>\" of at least 1s, like \"@every 30s\"", s)
		}
	}
	sc, err := cronParser.Parse(t)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %v (want \"@every 30s\", \"@hourly\", \"@daily\" or five cron fields like \"0 3 * * 1-5\")", s, err)
	}
	return sc, nil
}

// onceLayouts are the forms `once` accepts, in local time unless the value names a zone.
var onceLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339}

// ParseOnce parses a task's start time: "2026-12-24T18:00", with seconds, or RFC 3339 with a
// zone offset. Without an offset it is local time.
func ParseOnce(s string) (time.Time, error) {
	for _, l := range onceLayouts {
		if t, err := time.ParseInLocation(l, strings.TrimSpace(s), time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("once %q: want a local time like \"2026-12-24T18:00\"", s)
}

// ParseDelay parses a task's delay between runs: a Go duration of at least one second.
func ParseDelay(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < time.Second {
		return 0, fmt.Errorf("delay %q: want a duration of at least 1s, like \"10m\"", s)
	}
	return d, nil
}

// maxTopicTriggers bounds topics per module: each is a subscription of the instance.
const maxTopicTriggers = 64

// validate checks the triggers of a module of kind k. Errors name the key (ParseManifest adds
// the file and line).
func (t *Triggers) validate(k Kind) error {
	bad := func(key, f string, a ...any) error {
		return &ManifestError{Key: "triggers." + key, Msg: fmt.Sprintf(f, a...)}
	}
	for _, s := range t.Schedule {
		if _, err := ParseSchedule(s); err != nil {
			return bad("schedule", "%v", err)
		}
	}
	if len(t.Topics) > maxTopicTriggers {
		return bad("topics", "%d topics: at most %d", len(t.Topics), maxTopicTriggers)
	}
	for _, p := range t.Topics {
		if err := validTopicPattern(p); err != nil {
			return bad("topics", "%v", err)
		}
	}
	if t.Once != "" {
		if _, err := ParseOnce(t.Once); err != nil {
			return bad("once", "%v", err)
		}
	}
	switch {
	case t.Repeat < 0:
		return bad("repeat", "%d: want 0 or more runs after the first", t.Repeat)
	case (t.Repeat > 0 || t.Delay != "") && t.Once == "":
		return bad("repeat", "repeat and delay belong to a task: set once (its first run) too")
	case t.Repeat > 0 && t.Delay == "":
		return bad("delay", "repeat = %d needs delay, the time between runs (\"10m\")", t.Repeat)
	}
	if t.Delay != "" {
		if _, err := ParseDelay(t.Delay); err != nil {
			return bad("delay", "%v", err)
		}
	}
	switch {
	case k == KindLibrary && (t.Boot || len(t.Topics)+len(t.Schedule) > 0 || t.Once != ""):
		return bad("boot", "a library is linked into the modules that import it, never started: it takes no triggers")
	case k == KindDriver && (len(t.Topics)+len(t.Schedule) > 0 || t.Once != ""):
		return bad("schedule", "a driver starts at boot only (boot = true)")
	}
	return nil
}

// validTopicPattern is the bus's pattern syntax (the registry does not import the bus):
// tokens of printable ASCII separated by '.' or '/', '*' for one token, a final '>' for the
// rest.
func validTopicPattern(p string) error {
	if p == "" || len(p) > 256 {
		return fmt.Errorf("topic %q: want 1 to 256 characters", p)
	}
	toks := strings.FieldsFunc(p, func(r rune) bool { return r == '.' || r == '/' })
	if len(toks) == 0 || strings.Contains(p, "..") || strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") {
		return fmt.Errorf("topic %q: empty token", p)
	}
	for i, tok := range toks {
		for _, c := range tok {
			if c <= ' ' || c > '~' {
				return fmt.Errorf("topic %q: %q is not printable ASCII", p, c)
			}
		}
		if (strings.Contains(tok, "*") && tok != "*") || (strings.Contains(tok, ">") && (tok != ">" || i != len(toks)-1)) {
			return fmt.Errorf("topic %q: '*' stands for a whole token and '>' for the last one", p)
		}
	}
	return nil
}
