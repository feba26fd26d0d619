package system

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
)

// Triggers through a real instance: the installed manifests' boot and schedule lines start
// real processes, whose runs the jobs view counts.
func TestTriggersBootAndSchedule(t *testing.T) {
	home := testenv.Home(t)
	installAs(t, home, "jobprobe", "tickjob", "[triggers]\nschedule = [\"@every 1s\"]\n")
	installAs(t, home, "jobprobe", "waitboot", "[triggers]\nboot = true\n")
	in, out := start(t, Config{Home: home, Triggers: true})
	job := func(name string) admin.Job {
		for _, j := range in.ctl.Jobs() {
			if j.Module == name {
				return j
			}
		}
		return admin.Job{}
	}
	testenv.Eventually(t, func() bool {
		return job("tickjob").Runs >= 2 && strings.Count(out.String(), "jobprobe tickjob ran at") >= 2
	},
		30*time.Second, "two runs of the @every 1s job")
	j := job("tickjob")
	if j.Trigger != "@every 1s" || j.NextRun.IsZero() || j.LastRun.IsZero() || j.LastExit != "exit 0" && j.State != "running" {
		t.Fatalf("tickjob: %+v", j)
	}
	b := job("waitboot")
	if b.Trigger != "boot" || b.Runs != 1 || b.State != "running" || b.PID == 0 {
		t.Fatalf("waitboot: %+v", b)
	}
	// The panel restarts a supervised process afresh, and Stop ends it for good.
	if err := in.ctl.Restart(b.PID); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, func() bool { nb := job("waitboot"); return nb.State == "running" && nb.PID != b.PID }, 10*time.Second, "waitboot restarted")
	if err := in.ctl.Stop(job("waitboot").PID); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, func() bool { return job("waitboot").State == "idle" }, 10*time.Second, "waitboot stopped")
}

// A crash on start under restart = "on-failure": restarts with backoff, then the crash loop
// stops it, and ps, the module's log and the jobs view say so.
func TestTriggersCrashLoop(t *testing.T) {
	home := testenv.Home(t)
	installAs(t, home, "jobprobe", "crashjob", "restart = \"on-failure\"\n[triggers]\nboot = true\n")
	in, _ := start(t, Config{Home: home, Triggers: true})
	var row admin.Proc
	testenv.Eventually(t, func() bool {
		for _, p := range in.ctl.Processes() {
			if p.Name == "crashjob" && p.State == "failed" {
				row = p
				return true
			}
		}
		return false
	}, 60*time.Second, "the crash loop")
	if row.Restarts != 4 || !strings.Contains(row.LastExit, "crash loop: failed 5 times") {
		t.Fatalf("row %+v", row)
	}
	if !logHas(in, bus.PID(row.PID), "crash loop") {
		t.Fatalf("the module's log does not say it: %v", row)
	}
	// Start from the panel begins afresh.
	if _, err := in.ctl.Start("crashjob"); err != nil {
		t.Fatal(err)
	}
}

// A topic trigger: the first message starts the module and is its first message; a storm of
// 10,000 messages starts one process and loses none.
func TestTopicTrigger(t *testing.T) {
	home := testenv.Home(t)
	installAs(t, home, "jobprobe", "topicjob", "[triggers]\ntopics = [\"sensor.>\"]\n[permissions.bus]\nsubscribe = [\"sensor.>\"]\n")
	os.MkdirAll(filepath.Join(home, "policies"), 0o755)
	os.WriteFile(filepath.Join(home, "policies", "topicjob.toml"), []byte("[module]\nmatch = \"topicjob\"\n\n[bus]\nsubscribe = [\"sensor.>\"]\n"), 0o644)
	in, out := start(t, Config{Home: home, Triggers: true})
	b := in.k.Bus()
	const pub bus.PID = 1 << 27
	if _, err := b.Attach(pub, bus.InboxLimits{}); err != nil {
		t.Fatal(err)
	}
	defer b.Detach(pub)
	publish := func(topic, payload string) {
		t.Helper()
		if err := b.Publish(context.Background(), bus.Message{From: pub, Topic: topic, Payload: []byte(payload)}); err != nil {
			t.Fatalf("publish %s: %v", topic, err)
		}
	}
	publish("sensor.first", "hello")
	testenv.Eventually(t, func() bool { return strings.Contains(out.String(), "jobprobe topicjob got") }, 30*time.Second, "the first message")
	if first := out.String()[strings.Index(out.String(), "jobprobe topicjob got"):]; !strings.HasPrefix(first, "jobprobe topicjob got sensor.first hello\n") {
		t.Fatalf("first message: %q", first)
	}
	const storm = 10000
	for i := range storm {
		publish("sensor.storm", fmt.Sprint(i))
	}
	testenv.Eventually(t, func() bool { return strings.Count(out.String(), "got sensor.storm") == storm }, 60*time.Second, "every message of the storm")
	n := 0
	for _, info := range in.k.List() {
		if info.Name == "topicjob" {
			n++
		}
	}
	if jobs := in.ctl.Jobs(); n != 1 || len(jobs) != 1 || jobs[0].Runs != 1 {
		t.Fatalf("%d processes, jobs %+v; want one process, one run", n, jobs)
	}
	if last := fmt.Sprintf("got sensor.storm %d\n", storm-1); !strings.HasSuffix(out.String(), last) {
		t.Fatalf("the storm's order: output ends %q", out.String()[max(0, len(out.String())-80):])
	}
}
