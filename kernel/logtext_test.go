package kernel

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestEscapeLogText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"two\nlines", `two\nlines`},
		{"cr\rover", `cr\rover`},
		{"tab\there", `tab\there`},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"bell\x07 del\x7f", `bell\x07 del\x7f`},
		{"c1 \u009b2J", `c1 \u009b2J`},
		{"rtl \u202eevil", `rtl \u202eevil`},
		{"sep\u2028x", `sep\u2028x`},
		{"bad \xff byte", `bad \xff byte`},
		{"ünïcödé ✓", "ünïcödé ✓"},
	}
	for _, c := range cases {
		if got := escapeLogText(c.in); got != c.want {
			t.Errorf("escapeLogText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A guest cannot forge log lines (issue 18, defect 13): what it logs arrives as one line
// with its control characters written out.
func TestGuestLogIsOneEscapedLine(t *testing.T) {
	sink := &logSink{}
	k := newKernel(t, Config{AllowAll: true, Log: sink.log})
	forged := "ok\nshell[1] info: all good\r\x1b[2Kerased"
	body := `(data (i32.const 256) "` + watString(forged) + `")
(func (export "_start") (drop (call $log (i32.const 1) (i32.const 256) (i32.const ` + strconv.Itoa(len(forged)) + `))))`
	wait(t, spawn(t, k, watModule(t, k, "forger", wat(body)), SpawnOptions{}), 10*time.Second)
	got := sink.String()
	want := `forger: ok\nshell[1] info: all good\r\x1b[2Kerased`
	if got != want {
		t.Fatalf("log got %q, want %q", got, want)
	}
	if strings.ContainsAny(got, "\r\x1b") {
		t.Fatal("a control character reached the log")
	}
}

// watString writes s as a WAT string literal's contents.
func watString(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b.WriteString(`\` + hex2(c))
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
