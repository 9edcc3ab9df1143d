package tui

import (
	"strings"
	"testing"
)

func TestCutNeverInsideANumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		w    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"upload 314587058/629174116 bytes", 24, "upload 314587058/…"},
		{"upload 314587058/629174116 bytes", 26, "upload 314587058/…"},
		{"upload 314587058/629174116 bytes", 27, "upload 314587058/629174116…"},
		{"upload 314587058/629174116 bytes", 30, "upload 314587058/629174116 by…"},
		{"address 10.0.0.11 in use", 16, "address …"},
		{"took 1.5s", 7, "took …"},
		{"at 03:04:05 ok", 9, "at …"},
		{"version 1,024 of", 11, "version …"},
		{"end of sentence 12. Next", 19, "end of sentence 12…"}, // a full stop is no joiner without a digit after
		{"629174116", 5, "…"},
		{"naïve café résumé", 8, "naïve c…"},
		{"abc", 0, ""},
		{"abcdef", 1, "…"},
	} {
		got := cut(tc.in, tc.w)
		if got != tc.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tc.in, tc.w, got, tc.want)
		}
		if width(got) > tc.w {
			t.Errorf("cut(%q, %d) = %q is %d wide", tc.in, tc.w, got, width(got))
		}
	}
}

func TestWrapKeepsNumbersAndIndent(t *testing.T) {
	msg := "3 node(s) failed:\n  agent-1 (10.0.1.20): download 209724705 of 629174116 bytes failed"
	got := wrap(msg, 40)
	want := []string{
		"3 node(s) failed:",
		"  agent-1 (10.0.1.20): download",
		"    209724705 of 629174116 bytes failed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("wrap = %q, want %q", got, want)
	}
	// A word longer than the line breaks, before its number.
	got = wrap("/opt/dcos-bootstrap/genconf/serve/bootstrap/629174116.bootstrap.tar.xz", 50)
	if len(got) != 2 || !strings.HasSuffix(got[0], "bootstrap/") || !strings.HasPrefix(strings.TrimSpace(got[1]), "629174116.") {
		t.Errorf("long word = %q", got)
	}
	for _, l := range got {
		if width(l) > 50 {
			t.Errorf("line %q wider than 50", l)
		}
	}
}
