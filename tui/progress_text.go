package tui

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// ellipsis marks text that was cut.
const ellipsis = "…"

// width is the number of terminal cells plain text s takes.
func width(s string) int { return ansi.StringWidth(s) }

// prefixOf returns the longest prefix of plain text s at most w cells wide.
func prefixOf(s string, w int) string {
	if w <= 0 {
		return ""
	}
	p := ansi.Truncate(s, w, "")
	if !strings.HasPrefix(s, p) { // not expected for plain text; be safe
		r := []rune(s)
		for len(r) > 0 && width(string(r)) > w {
			r = r[:len(r)-1]
		}
		p = string(r)
	}
	return p
}

// cut shortens plain text s to at most w cells, ending in an ellipsis when
// it had to cut. The cut never falls inside a number (628174116 never
// becomes 6281741…): a number that does not fit whole is left out.
func cut(s string, w int) string {
	if width(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	p := prefixOf(s, w-width(ellipsis))
	if inNumber(p, s[len(p):]) {
		p = dropTrailingNumber(p)
	}
	return p + ellipsis
}

// padRight pads plain text s with spaces to w cells.
func padRight(s string, w int) string {
	if n := w - width(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// fitPad is cut then padRight: exactly w cells.
func fitPad(s string, w int) string { return padRight(cut(s, w), w) }

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// isJoiner: characters that continue a number between digits (1.5,
// 10.0.0.11, 1,024, 03:04:05).
func isJoiner(r rune) bool { return r == '.' || r == ',' || r == ':' }

func lastRunes(s string, n int) []rune {
	var out []rune
	for len(s) > 0 && len(out) < n {
		r, size := utf8.DecodeLastRuneInString(s)
		out = append([]rune{r}, out...)
		s = s[:len(s)-size]
	}
	return out
}

func firstRunes(s string, n int) []rune {
	var out []rune
	for _, r := range s {
		if len(out) == n {
			break
		}
		out = append(out, r)
	}
	return out
}

// inNumber says whether splitting text into before and after cuts a
// number in two.
func inNumber(before, after string) bool {
	b, a := lastRunes(before, 2), firstRunes(after, 2)
	if len(b) == 0 || len(a) == 0 {
		return false
	}
	last, next := b[len(b)-1], a[0]
	switch {
	case isDigit(last) && isDigit(next):
		return true
	case isDigit(last) && isJoiner(next):
		return len(a) > 1 && isDigit(a[1])
	case isJoiner(last) && isDigit(next):
		return len(b) > 1 && isDigit(b[0])
	}
	return false
}

// dropTrailingNumber removes the number (digits and joiners between
// digits) that s ends with.
func dropTrailingNumber(s string) string {
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if isDigit(r) {
			s = s[:len(s)-size]
			continue
		}
		if isJoiner(r) {
			if p, _ := utf8.DecodeLastRuneInString(s[:len(s)-size]); isDigit(p) {
				s = s[:len(s)-size]
				continue
			}
		}
		break
	}
	return s
}

// wrap breaks plain text s into lines of at most w cells. Each line of s
// keeps its indentation, and its continuation lines get two more spaces.
// Lines break at spaces; a word longer than a line is broken, outside a
// number when the number fits a line.
func wrap(s string, w int) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		out = append(out, wrapLine(line, w)...)
	}
	return out
}

func wrapLine(line string, w int) []string {
	if w <= 0 {
		return nil
	}
	if width(line) <= w {
		return []string{line}
	}
	body := strings.TrimLeft(line, " ")
	indent := line[:len(line)-len(body)]
	if width(indent)+10 > w {
		indent = ""
	}
	var out []string
	cur := indent
	contIndent := indent + "  "
	if width(contIndent)+10 > w {
		contIndent = ""
	}
	curEmpty := true
	for _, word := range strings.Fields(body) {
		for {
			sep := " "
			if curEmpty {
				sep = ""
			}
			if width(cur)+width(sep)+width(word) <= w {
				cur += sep + word
				curEmpty = false
				break
			}
			if !curEmpty {
				out = append(out, cur)
				cur, curEmpty = contIndent, true
				continue
			}
			// The word alone is longer than a line: break it, outside a
			// number when possible.
			room := w - width(cur)
			p := prefixOf(word, room)
			if inNumber(p, word[len(p):]) {
				if q := dropTrailingNumber(p); q != "" {
					p = q
				}
			}
			if p == "" {
				p = string(firstRunes(word, 1))
			}
			out = append(out, cur+p)
			word = word[len(p):]
			cur, curEmpty = contIndent, true
		}
	}
	if !curEmpty {
		out = append(out, cur)
	}
	return out
}
