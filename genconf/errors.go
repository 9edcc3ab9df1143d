package genconf

import (
	"fmt"
	"sort"
	"strings"
)

// FieldError is one problem with one field. Field is a cluster.yaml path
// ("dcos.config.dcos_overlay_mtu", "nodes.masters") for Render, or a
// config.yaml key for Check.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Errors is every problem Render found, sorted by field. Its exit code is
// 2 (bad configuration), so the CLI maps it without knowing this package.
type Errors []*FieldError

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, fe := range e {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// ExitCode tells the CLI that the configuration is at fault.
func (e Errors) ExitCode() int { return 2 }

// errList accumulates FieldErrors in the order found.
type errList []*FieldError

func (l *errList) add(field, format string, args ...any) {
	*l = append(*l, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

// sorted returns the problems ordered by field then message, or nil.
func (l errList) sorted() Errors {
	if len(l) == 0 {
		return nil
	}
	out := Errors(append([]*FieldError(nil), l...))
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Field != out[j].Field {
			return out[i].Field < out[j].Field
		}
		return out[i].Msg < out[j].Msg
	})
	return out
}

// asErrors is the sorted problems as a []error, or nil (Check's form).
func (l errList) asErrors() []error {
	sorted := l.sorted()
	if len(sorted) == 0 {
		return nil
	}
	out := make([]error, len(sorted))
	for i, e := range sorted {
		out[i] = e
	}
	return out
}
