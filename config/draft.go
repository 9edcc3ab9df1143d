package config

import "reflect"

// Decode is the first step of Parse alone: the document decoded strictly
// (unknown keys, wrong types and duplicates are errors with their line),
// but no paths resolved, no secrets read, no defaults and no validation.
// It reads drafts, which are incomplete on purpose (the guided setup's
// saved progress); Validate checks the result once it is complete.
func Decode(data []byte, path string) (*Cluster, error) {
	r := newReport(path)
	c := &Cluster{Path: path}
	if root, ok := parseYAML(data, r); ok {
		d := &decoder{r: r}
		d.decode(root, reflect.ValueOf(c).Elem(), "")
	}
	c.pos, c.keyPos = r.pos, r.keyPos
	if err := r.errors(); err != nil {
		return nil, err
	}
	return c, nil
}
