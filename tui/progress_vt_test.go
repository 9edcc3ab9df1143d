package tui

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// vtScreen is a small terminal emulator for the tests: it replays what a
// bubbletea program wrote into a grid of width x height cells, the way a
// terminal shows it (auto-wrap at the right margin, scrolling at the
// bottom into a scrollback), so tests assert the screen a person sees,
// not the view string. It knows the sequences bubbletea's renderer
// writes; any other control sequence fails the test.
type vtScreen struct {
	t             testing.TB
	width, height int
	cells         [][]rune
	scrollback    []string
	x, y          int
	pendingWrap   bool
	rest          []byte // an escape sequence split across writes
}

func newVTScreen(t testing.TB, width, height int) *vtScreen {
	s := &vtScreen{t: t, width: width, height: height}
	for range height {
		s.cells = append(s.cells, s.blankRow())
	}
	return s
}

func (s *vtScreen) blankRow() []rune {
	r := make([]rune, s.width)
	for i := range r {
		r[i] = ' '
	}
	return r
}

// Write feeds terminal output.
func (s *vtScreen) Write(p []byte) (int, error) {
	data := append(s.rest, p...)
	s.rest = nil
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == 0x1b:
			n, ok := s.escape(data[i:])
			if !ok {
				s.rest = append([]byte(nil), data[i:]...)
				return len(p), nil
			}
			i += n
			continue
		case c == '\r':
			s.x, s.pendingWrap = 0, false
		case c == '\n':
			s.lineFeed()
		case c == '\b':
			s.x, s.pendingWrap = max(s.x-1, 0), false
		case c == '\t':
			s.x = min((s.x/8+1)*8, s.width-1)
		case c < 0x20 || c == 0x7f:
			// other controls (BEL) do not draw
		default:
			str := string(data[i:])
			r, size := firstRune(str)
			if r == 0xFFFD && size <= 1 && len(data)-i < 4 && !fullRune(data[i:]) {
				s.rest = append([]byte(nil), data[i:]...)
				return len(p), nil
			}
			s.put(r)
			i += size
			continue
		}
		i++
	}
	return len(p), nil
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}

func fullRune(b []byte) bool { return strings.ToValidUTF8(string(b), "") == string(b) }

func (s *vtScreen) lineFeed() {
	s.pendingWrap = false
	if s.y == s.height-1 {
		s.scrollback = append(s.scrollback, strings.TrimRight(string(s.cells[0]), " "))
		s.cells = append(s.cells[1:], s.blankRow())
		return
	}
	s.y++
}

func (s *vtScreen) put(r rune) {
	w := ansi.StringWidth(string(r))
	if w == 0 {
		return
	}
	if s.pendingWrap || s.x+w > s.width {
		s.x = 0
		s.lineFeed()
	}
	s.cells[s.y][s.x] = r
	if w == 2 && s.x+1 < s.width {
		s.cells[s.y][s.x+1] = 0 // the right half of a wide rune
	}
	s.x += w
	if s.x >= s.width {
		s.x, s.pendingWrap = s.width-1, true
	}
}

// escape handles one escape sequence at the start of b and returns its
// length; ok is false when b ends inside it.
func (s *vtScreen) escape(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, false
	}
	switch b[1] {
	case '[':
		for i := 2; i < len(b); i++ {
			if b[i] >= 0x40 && b[i] <= 0x7e {
				s.csi(string(b[2:i]), b[i])
				return i + 1, true
			}
		}
		return 0, false
	case ']': // OSC (window title): up to BEL or ST
		for i := 2; i < len(b); i++ {
			if b[i] == 0x07 {
				return i + 1, true
			}
			if b[i] == 0x1b && i+1 < len(b) && b[i+1] == '\\' {
				return i + 2, true
			}
		}
		return 0, false
	}
	s.t.Errorf("terminal: unknown escape ESC %q", b[1])
	return 2, true
}

func (s *vtScreen) csi(params string, final byte) {
	if strings.HasPrefix(params, "?") { // private modes: cursor, paste, focus
		if final != 'h' && final != 'l' {
			s.t.Errorf("terminal: unknown private sequence CSI %s%c", params, final)
		}
		return
	}
	n := func(def int) int {
		if params == "" {
			return def
		}
		v, err := strconv.Atoi(strings.Split(params, ";")[0])
		if err != nil || v == 0 {
			return def
		}
		return v
	}
	s.pendingWrap = false
	switch final {
	case 'A':
		s.y = max(s.y-n(1), 0)
	case 'B':
		s.y = min(s.y+n(1), s.height-1)
	case 'C':
		s.x = min(s.x+n(1), s.width-1)
	case 'D':
		s.x = max(s.x-n(1), 0)
	case 'G':
		s.x = min(n(1)-1, s.width-1)
	case 'H', 'f':
		row, col := 1, 1
		if params != "" {
			parts := strings.Split(params, ";")
			row, _ = strconv.Atoi(parts[0])
			if len(parts) > 1 {
				col, _ = strconv.Atoi(parts[1])
			}
		}
		s.y, s.x = min(max(row, 1), s.height)-1, min(max(col, 1), s.width)-1
	case 'K':
		from, to := s.x, s.width
		switch n(0) {
		case 1:
			from, to = 0, s.x+1
		case 2:
			from = 0
		}
		for i := from; i < to; i++ {
			s.cells[s.y][i] = ' '
		}
	case 'J':
		switch n(0) {
		case 0:
			for i := s.x; i < s.width; i++ {
				s.cells[s.y][i] = ' '
			}
			for y := s.y + 1; y < s.height; y++ {
				s.cells[y] = s.blankRow()
			}
		case 2:
			for y := range s.cells {
				s.cells[y] = s.blankRow()
			}
		default:
			s.t.Errorf("terminal: unknown erase CSI %sJ", params)
		}
	case 'm', 'r': // colours and attributes; scroll margins (full screen)
	default:
		s.t.Errorf("terminal: unknown sequence CSI %s%c", params, final)
	}
}

// Lines are the screen's rows, trailing blanks trimmed.
func (s *vtScreen) Lines() []string {
	out := make([]string, s.height)
	for y, row := range s.cells {
		var b strings.Builder
		for _, r := range row {
			if r != 0 {
				b.WriteRune(r)
			}
		}
		out[y] = strings.TrimRight(b.String(), " ")
	}
	return out
}

// String is the screen as text, numbered rows, for failure messages.
func (s *vtScreen) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "screen %dx%d (%d lines scrolled off):\n", s.width, s.height, len(s.scrollback))
	for i, l := range s.Lines() {
		fmt.Fprintf(&b, "%2d|%s\n", i+1, l)
	}
	return b.String()
}

// All is the scrollback and the screen: everything the terminal printed.
func (s *vtScreen) All() string {
	return strings.Join(append(append([]string(nil), s.scrollback...), s.Lines()...), "\n")
}

func TestVTScreen(t *testing.T) {
	s := newVTScreen(t, 10, 3)
	s.Write([]byte("abcdefghijKL\r\nline3"))
	if got := s.Lines(); got[0] != "abcdefghij" || got[1] != "KL" || got[2] != "line3" {
		t.Errorf("auto-wrap: %q", got)
	}
	s.Write([]byte("\r\nnext"))
	if got := s.Lines(); got[0] != "KL" || got[2] != "next" || s.scrollback[0] != "abcdefghij" {
		t.Errorf("scroll: %q, scrollback %q", got, s.scrollback)
	}
	s.Write([]byte("\x1b[2A\rX\x1b[K\x1b[B\r\x1b[J"))
	if got := s.Lines(); got[0] != "X" || got[1] != "" || got[2] != "" {
		t.Errorf("cursor up, erase line, erase below: %q", got)
	}
	s.Write([]byte("\x1b[?25l\x1b[31mred\x1b[0m\x1b[?25h"))
	if got := s.Lines(); got[1] != "red" {
		t.Errorf("attributes must not draw: %q", got)
	}
	// A sequence split across writes.
	s.Write([]byte("\r\x1b["))
	s.Write([]byte("2Kok"))
	if got := s.Lines(); got[1] != "ok" {
		t.Errorf("split sequence: %q", got)
	}
}
