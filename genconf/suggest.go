package genconf

import "strings"

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
		d := editDistance(strings.ToLower(key), k)
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

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
