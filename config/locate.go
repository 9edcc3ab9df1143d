package config

// Locate turns problems found by other packages (genconf's DC/OS rules,
// which speak in cluster.yaml field paths) into *Errors that point at the
// file, line and column where each path was read, sorted like Load's.
func (c *Cluster) Locate(problems []FieldError) *Errors {
	r := reportFor(c)
	out := &Errors{File: c.Path}
	for _, p := range problems {
		at := r.at(p.Path)
		p.File, p.Line, p.Column = c.Path, at.Line, at.Column
		if o := r.origin[p.Path]; o != "" {
			p.Origin, p.Line, p.Column = o, 0, 0
		}
		out.List = append(out.List, p)
	}
	out.sort()
	return out
}
