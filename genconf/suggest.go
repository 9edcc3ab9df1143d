package genconf

import (
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/internal/textdist"
)

// suggest returns the known config.yaml key closest to a mistyped one, or
// "" when nothing is close: an exact match ignoring case and underscores
// ("masterlist" → master_list), or an edit distance of at most 2 (3 for
// long keys).
func suggest(key string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "") }
	best, bestDist := "", 1<<30
	candidates := make([]string, 0, len(params))
	for k := range params {
		candidates = append(candidates, k)
	}
	for k := range ownedKeys {
		if _, dup := params[k]; !dup {
			candidates = append(candidates, k)
		}
	}
	for _, k := range candidates {
		d := textdist.Levenshtein(strings.ToLower(key), k)
		if norm(key) == norm(k) {
			d = 0
		}
		if d < bestDist || d == bestDist && k < best {
			best, bestDist = k, d
		}
	}
	limit := 2
	if len(key) >= 16 {
		limit = 3
	}
	if bestDist > limit {
		return ""
	}
	return best
}
