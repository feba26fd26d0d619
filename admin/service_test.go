package admin

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
)

func TestBusService(t *testing.T) {
	const client bus.PID = 7
	denied := errors.New("no grant")
	b := bus.New(bus.Config{Check: func(op bus.Op, pid bus.PID, object string) error {
		if pid == client && op == bus.OpRequest && object == TopicKill {
			return denied // the policy hook refuses this one request
		}
		return nil
	}})
	tb := demoTable()
	svc, err := StartService(ServiceConfig{Bus: b, PID: 0, Audit: func(n int) (any, error) { return []string{"r1"}, nil }}, tb)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	defer svc.Close()
	if _, err := b.Attach(client, bus.InboxLimits{}); err != nil {
		t.Fatal(err)
	}
	ask := func(topic, payload string) (map[string]any, error) {
		t.Helper()
		rep, err := b.Request(t.Context(), bus.Message{From: client, Topic: topic, Payload: []byte(payload)}, 5*time.Second)
		if err != nil {
			return nil, err
		}
		var out map[string]any
		if err := json.Unmarshal(rep.Payload, &out); err != nil {
			t.Fatalf("%s: answer is not JSON: %q", topic, rep.Payload)
		}
		return out, nil
	}
	ps, err := ask(TopicPS, "")
	if err != nil || len(ps["procs"].([]any)) != 3 {
		t.Fatalf("sys.ps: %v %v", ps, err)
	}
	if _, err := ask(TopicKill, `{"pid":2}`); !errors.Is(err, bus.ErrDenied) {
		t.Fatalf("sys.kill without a grant: %v, want ErrDenied", err)
	}
	if a, err := ask(TopicStop, `{"pid":2}`); err != nil || a["ok"] != true {
		t.Fatalf("sys.stop: %v %v", a, err)
	}
	if a, _ := ask(TopicStop, `{"pid":1}`); !strings.Contains(a["error"].(string), "protected") {
		t.Fatalf("sys.stop of the shell: %v", a)
	}
	if a, _ := ask(TopicRestart, `{}`); !strings.Contains(a["error"].(string), "name the process") {
		t.Fatalf("sys.restart without pid: %v", a)
	}
	if a, _ := ask(TopicLogs, `{"pid":3,"n":5}`); len(a["lines"].([]any)) != 1 {
		t.Fatalf("sys.logs: %v", a)
	}
	if a, _ := ask(TopicAudit, ``); len(a["records"].([]any)) != 1 {
		t.Fatalf("sys.audit: %v", a)
	}
	if a, _ := ask(TopicStats, ``); a["processes"].(float64) != 2 {
		t.Fatalf("sys.stats: %v", a)
	}
	if a, _ := ask(TopicPS, `not json`); !strings.Contains(a["error"].(string), "JSON") {
		t.Fatalf("bad payload: %v", a)
	}
	if got := strings.Join(tb.actions, ","); got != "stop 2" {
		t.Fatalf("actions %q", got)
	}
}
