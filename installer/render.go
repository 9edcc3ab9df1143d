package installer

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// PlainRenderer writes one timestamped line per event, for CI logs and any
// output that is not a terminal. Remote output lines (LogLine) and byte
// progress are shown only with Debug, so the default log stays readable.
type PlainRenderer struct {
	W     io.Writer
	Debug bool

	mu           sync.Mutex
	lastProgress map[string]int64 // node → last reported percent decile
}

// Emit renders e.
func (p *PlainRenderer) Emit(e Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := p.format(e)
	if line == "" {
		return
	}
	fmt.Fprintf(p.W, "%s %s\n", e.Time.Format("15:04:05"), line)
}

func (p *PlainRenderer) format(e Event) string {
	who := ""
	if e.Node != "" {
		who = e.Node + ": "
	}
	switch e.Kind {
	case PhaseStarted:
		return "==> " + e.Phase
	case PhaseFinished:
		return fmt.Sprintf("ok  %s (%s)", e.Phase, e.Elapsed.Round(time.Millisecond))
	case PhaseSkipped:
		return fmt.Sprintf("--  %s: %s", e.Phase, e.Message)
	case PhaseFailed:
		return fmt.Sprintf("ERR %s: %s", e.Phase, e.Message)
	case NodeStep:
		return "    " + who + e.Step + suffix(e.Message)
	case NodeDone:
		return "    " + who + "done" + suffix(e.Message)
	case NodeFailed:
		return "    " + who + "FAILED: " + e.Message
	case Progress:
		if e.Total <= 0 {
			return ""
		}
		pct := e.Done * 100 / e.Total
		if p.lastProgress == nil {
			p.lastProgress = map[string]int64{}
		}
		key := e.Node + "\x00" + e.Step
		if !p.Debug && pct/25 == p.lastProgress[key] && e.Done != e.Total {
			return "" // every 25% is enough for a CI log
		}
		p.lastProgress[key] = pct / 25
		return fmt.Sprintf("    %s%s %d%% (%d/%d bytes)", who, e.Step, pct, e.Done, e.Total)
	case LogLine:
		if !p.Debug {
			return ""
		}
		return "    " + who + "| " + e.Message
	case Warning:
		return "WARN " + who + e.Message
	case RunResult:
		if !p.Debug || e.Result == nil {
			return "" // the command prints the result itself
		}
		return fmt.Sprintf("==> result: %s, %d change(s)", e.Result.Status, e.Result.Changed)
	default:
		return who + e.Message
	}
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}

// JSONRenderer writes one JSON object per line (--output json).
type JSONRenderer struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewJSONRenderer returns a renderer writing to w.
func NewJSONRenderer(w io.Writer) *JSONRenderer { return &JSONRenderer{enc: json.NewEncoder(w)} }

// Emit writes e as a JSON line.
func (j *JSONRenderer) Emit(e Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	_ = j.enc.Encode(e)
}
