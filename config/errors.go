package config

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a place in cluster.yaml, 1-based. Line 0 means "no place"
// (for example the file could not be read at all).
type Pos struct {
	Line   int
	Column int
}

// FieldError is one problem with the config: where it is, which field
// (dotted path such as "nodes.masters.hosts[2].ip") and what is wrong.
// Messages never contain secret values.
type FieldError struct {
	File    string
	Path    string
	Line    int
	Column  int
	Message string
	// Origin names the environment variable the value came from (GOVC_URL)
	// when it is not written in the file; Line is 0 then.
	Origin string
}

// Error formats the problem as "file:line:col: path: message", or
// "file: path (from VAR): message" for a value from the environment.
func (e FieldError) Error() string {
	return formatProblem(e.File, e.Path, e.Origin, e.Line, e.Column, e.Message)
}

// Warning is a problem that does not stop the install (a literal password,
// insecure TLS, a secret file readable by others).
type Warning struct {
	File    string
	Path    string
	Line    int
	Column  int
	Message string
	Origin  string // as FieldError.Origin
}

// String formats the warning as "file:line:col: path: message".
func (w Warning) String() string {
	return formatProblem(w.File, w.Path, w.Origin, w.Line, w.Column, w.Message)
}

func formatProblem(file, path, origin string, line, col int, msg string) string {
	var b strings.Builder
	if file != "" {
		b.WriteString(file)
		b.WriteString(":")
	}
	if line > 0 {
		fmt.Fprintf(&b, "%d:", line)
		if col > 0 {
			fmt.Fprintf(&b, "%d:", col)
		}
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if path != "" {
		b.WriteString(path)
		if origin != "" {
			b.WriteString(" (from " + origin + ")")
		}
		b.WriteString(": ")
	}
	b.WriteString(msg)
	return b.String()
}

// Errors is every problem found in one config file, sorted by line.
// It is the error Load and Parse return; the CLI maps it to exit code 2.
type Errors struct {
	File string
	List []FieldError
}

// Error prints one problem per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.List))
	for i, fe := range e.List {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// ExitCode makes a bad config end the CLI with exit code 2.
func (e *Errors) ExitCode() int { return 2 }

// Sort orders the problems by line, column and field path.
func (e *Errors) Sort() { e.sort() }

func (e *Errors) sort() {
	sort.SliceStable(e.List, func(i, j int) bool {
		a, b := e.List[i], e.List[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Path < b.Path
	})
}

func sortWarnings(ws []Warning) {
	sort.SliceStable(ws, func(i, j int) bool {
		if ws[i].Line != ws[j].Line {
			return ws[i].Line < ws[j].Line
		}
		return ws[i].Path < ws[j].Path
	})
}
