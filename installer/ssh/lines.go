package ssh

import (
	"strings"
	"sync"
)

// maxLineBytes bounds one output line; longer ones are cut into pieces.
const maxLineBytes = 64 << 10

// lineSink turns the two output streams of a command into redacted lines:
// each goes to the callback (serialised) and into a ring of the last lines.
type lineSink struct {
	mu       sync.Mutex
	redactor *Redactor
	onLine   func(stream, line string)
	tail     []string
	tailMax  int
	marker   string // first stderr line of the wrapper: sudo let us through
	sawMark  bool
	sudoFail chan struct{} // closed when sudo asks for the password again
	failOnce sync.Once
	capture  *strings.Builder
}

type streamWriter struct {
	sink   *lineSink
	stream string
	buf    []byte
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			if len(w.buf) >= maxLineBytes {
				w.sink.line(w.stream, string(w.buf[:maxLineBytes]))
				w.buf = w.buf[maxLineBytes:]
				continue
			}
			return len(p), nil
		}
		w.sink.line(w.stream, string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

func (w *streamWriter) flush() {
	if len(w.buf) > 0 {
		w.sink.line(w.stream, string(w.buf))
		w.buf = nil
	}
}

func (s *lineSink) line(stream, line string) {
	line = strings.TrimSuffix(line, "\r")
	s.mu.Lock()
	defer s.mu.Unlock()
	if stream == "stderr" && s.marker != "" && !s.sawMark {
		if line == s.marker {
			s.sawMark = true
			return
		}
		if strings.Contains(line, "Sorry, try again") || strings.Contains(line, "incorrect password") {
			s.failOnce.Do(func() { close(s.sudoFail) })
		}
	}
	line = s.redactor.Redact(line)
	if stream == "stdout" && s.capture != nil && s.capture.Len() < maxCaptureBytes {
		s.capture.WriteString(line + "\n")
	}
	if s.tailMax > 0 {
		if len(s.tail) == s.tailMax {
			copy(s.tail, s.tail[1:])
			s.tail = s.tail[:len(s.tail)-1]
		}
		s.tail = append(s.tail, line)
	}
	if s.onLine != nil {
		s.onLine(stream, line)
	}
}

func (s *lineSink) snapshot() (tail []string, sawMark bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tail...), s.sawMark
}
