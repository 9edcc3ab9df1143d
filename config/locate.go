package config

// Locate turns problems found by other packages (genconf's DC/OS rules,
// which speak in cluster.yaml field paths) into *Errors that point at the
// file, line and column where each path was read, sorted like Load's.
func (c *Cluster) Locate(problems []FieldError) *Errors {
	r := newReport(c.Path)
	if c.pos != nil {
		r.pos, r.keyPos = c.pos, c.keyPos
	}
	out := &Errors{File: c.Path}
	for _, p := range problems {
		at := r.at(p.Path)
		p.File, p.Line, p.Column = c.Path, at.Line, at.Column
		out.List = append(out.List, p)
	}
	out.sort()
	return out
}
