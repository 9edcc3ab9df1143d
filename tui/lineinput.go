package tui

import (
	"bufio"
	"errors"
	"io"
)

// lineReader hands out its input one line per Read. huh's accessible
// prompts wrap the reader in a fresh bufio.Scanner for every question; on
// a pipe that scanner would swallow the following answers with its
// buffer. Returning one line per Read keeps every answer for its own
// question. It also remembers hitting the end of input, so the wizard can
// stop instead of silently taking defaults for unanswered questions.
type lineReader struct {
	r       *bufio.Reader
	pending []byte
	eof     bool
}

func newLineReader(r io.Reader) *lineReader { return &lineReader{r: bufio.NewReader(r)} }

// Read implements io.Reader.
func (l *lineReader) Read(p []byte) (int, error) {
	if len(l.pending) == 0 {
		line, err := l.r.ReadBytes('\n')
		if len(line) == 0 {
			if errors.Is(err, io.EOF) {
				l.eof = true
			}
			return 0, err
		}
		l.pending = line
	}
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	return n, nil
}
