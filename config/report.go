package config

import "strings"

// report collects what decoding and validation find, with the position of
// every field seen so later checks can point at the right line.
type report struct {
	file     string
	errs     []FieldError
	warns    []Warning
	pos      map[string]Pos    // field path -> position of its value
	keyPos   map[string]Pos    // field path -> position of its key
	bad      map[string]bool   // fields that failed to decode
	badBelow map[string]bool   // ancestors of those fields
	origin   map[string]string // field path -> environment variable it came from
}

func newReport(file string) *report {
	return &report{file: file, pos: map[string]Pos{}, keyPos: map[string]Pos{}, bad: map[string]bool{}, badBelow: map[string]bool{},
		origin: map[string]string{}}
}

// reportFor is a report on c that knows where c's fields were read
// (positions, environment origins).
func reportFor(c *Cluster) *report {
	r := newReport(c.Path)
	if c.pos != nil {
		r.pos, r.keyPos = c.pos, c.keyPos
	}
	for _, o := range c.origins {
		r.origin[o.Field] = o.Var
	}
	return r
}

// errors is the problems recorded as *Errors sorted by line, or a nil
// error (not a nil *Errors) when there are none.
func (r *report) errors() error {
	if len(r.errs) == 0 {
		return nil
	}
	e := &Errors{File: r.file, List: r.errs}
	e.sort()
	return e
}

// at returns the best position for path: the field's own value, else the
// key of the nearest ancestor present in the file, else line 1.
func (r *report) at(path string) Pos {
	if p, ok := r.pos[path]; ok {
		return p
	}
	for path != "" {
		path = parentPath(path)
		if p, ok := r.keyPos[path]; ok {
			return p
		}
		if p, ok := r.pos[path]; ok {
			return p
		}
	}
	return Pos{Line: 1, Column: 1}
}

// keyAt is the position of path's key (falls back to at).
func (r *report) keyAt(path string) Pos {
	if p, ok := r.keyPos[path]; ok {
		return p
	}
	return r.at(path)
}

func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// markBad records that path failed to decode (its value is unknown).
func (r *report) markBad(path string) {
	r.bad[path] = true
	for p := path; p != ""; {
		p = parentPath(p)
		r.badBelow[p] = true
	}
}

// isBad reports whether path, one of its ancestors, or one of its
// descendants failed to decode. It walks only path's ancestors, so
// checking many errors against many bad fields stays linear.
func (r *report) isBad(path string) bool {
	if r.bad[path] || r.badBelow[path] {
		return true
	}
	for p := path; p != ""; {
		p = parentPath(p)
		if r.bad[p] {
			return true
		}
	}
	return false
}

// decodeErr records a decoding problem at p; validation then stays quiet
// about path, whose value is unknown.
func (r *report) decodeErr(p Pos, path, msg string) {
	r.errs = append(r.errs, FieldError{File: r.file, Path: path, Line: p.Line, Column: p.Column, Message: msg})
	r.markBad(path)
}

// errAt records a validation problem unless it concerns a field that
// already failed to decode (that would only repeat the first error).
func (r *report) errAt(p Pos, path, msg string) {
	if r.isBad(path) {
		return
	}
	origin := r.origin[path]
	if origin != "" {
		p = Pos{} // the value is not in the file
	}
	r.errs = append(r.errs, FieldError{File: r.file, Path: path, Line: p.Line, Column: p.Column, Message: msg, Origin: origin})
}

// err records a validation problem at path's own position.
func (r *report) err(path, msg string) { r.errAt(r.at(path), path, msg) }

func (r *report) warn(path, msg string) {
	p, origin := r.at(path), r.origin[path]
	if origin != "" {
		p = Pos{}
	}
	r.warns = append(r.warns, Warning{File: r.file, Path: path, Line: p.Line, Column: p.Column, Message: msg, Origin: origin})
}
