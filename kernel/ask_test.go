package kernel

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/policies"
)

// fakeAsker is the user at the shell's prompt: it answers with answer, counts the questions
// and, for Always, writes the policy file as the shell does.
type fakeAsker struct {
	st     *policies.Store
	answer Answer
	mu     sync.Mutex
	asked  []Question
}

func (a *fakeAsker) Ask(ctx context.Context, q Question) (Answer, error) {
	a.mu.Lock()
	a.asked = append(a.asked, q)
	a.mu.Unlock()
	if a.answer == AnswerAlways {
		g := &policies.Grants{Net: []policies.Rule{{Value: q.Object}}}
		if _, err := policies.WriteAlways(a.st.Dir(), q.Module, nil, g); err != nil {
			return AnswerDeny, err
		}
		if _, err := a.st.Reload(); err != nil {
			return AnswerDeny, err
		}
	}
	return a.answer, nil
}

func (a *fakeAsker) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.asked)
}

// TestAskAtTheDoor: a fetch policy refuses is put to the Asker. Allow once lets that process
// fetch (and does not ask it again); Deny refuses and audits; Always writes a policy, after
// which no one is asked.
func TestAskAtTheDoor(t *testing.T) {
	_, addr := fetchServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	url := "http://" + addr + "/"
	twice := strings.Replace(fetchWAT(url, -1), `(func (export "_start") (local $r i32) (local $n i32)`,
		`(func (export "_start") (local $r i32) (local $n i32)
    (drop (call $fetch (i32.const 1000) (i32.const 3) (i32.const 1100) (i32.const `+strconv.Itoa(len(url))+`)
      (i32.const 1400) (i32.const 12) (i32.const 0) (i32.const 0) (i32.const 2000) (i64.const -1)))`, 1)
	for _, tc := range []struct {
		answer    Answer
		want      int
		asked     int // questions for two runs of the module (each fetches twice)
		policyOut bool
	}{
		{AnswerOnce, 20, 2, false},
		{AnswerDeny, -int(errDenied), 2, false},
		{AnswerAlways, 20, 1, true},
	} {
		st := policyHome(t, nil)
		a := &fakeAsker{st: st, answer: tc.answer}
		k := newKernel(t, Config{Policies: st, Asker: a})
		m := watModule(t, k, "asker", twice)
		for run := range 2 {
			in := wait(t, spawn(t, k, m, SpawnOptions{}), 20*time.Second)
			if in.ExitCode != tc.want {
				t.Errorf("answer %d, run %d: exit %d (%s), want %d", tc.answer, run, in.ExitCode, in.Reason, tc.want)
			}
		}
		if n := a.count(); n != tc.asked {
			t.Errorf("answer %d: asked %d times, want %d", tc.answer, n, tc.asked)
		}
		if q := a.asked[0]; q.Module != "asker" || q.Op != policies.OpNet || q.Object != addr {
			t.Errorf("question %+v", q)
		}
		_, err := os.Stat(policies.FileFor(st.Dir(), "asker"))
		if (err == nil) != tc.policyOut {
			t.Errorf("answer %d: policy file written: %v", tc.answer, err == nil)
		}
		recs, _ := policies.ReadAudit(st.Audit().Path())
		if denied := tc.answer == AnswerDeny; (len(recs) > 0) != denied {
			t.Errorf("answer %d: %d audit records", tc.answer, len(recs))
		}
	}
}

// TestAskKill: a process waiting for an answer is killed at once, and the question's context
// ends with it.
func TestAskKill(t *testing.T) {
	st := policyHome(t, nil)
	ended := make(chan struct{})
	k := newKernel(t, Config{Policies: st, Asker: askFunc(func(ctx context.Context, q Question) (Answer, error) {
		<-ctx.Done()
		close(ended)
		return AnswerDeny, ctx.Err()
	})})
	p := spawn(t, k, watModule(t, k, "waiter", fetchWAT("http://127.0.0.1:9/", -1)), SpawnOptions{})
	waitState(t, p, Blocked, 10*time.Second)
	k.Kill(p.PID(), true)
	wait(t, p, 5*time.Second)
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the question's context did not end with the process")
	}
}

type askFunc func(ctx context.Context, q Question) (Answer, error)

func (f askFunc) Ask(ctx context.Context, q Question) (Answer, error) { return f(ctx, q) }
