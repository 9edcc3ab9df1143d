package genconf

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// normalize turns a decoded YAML value into the few types config.yaml may
// hold (string, bool, int64, []any, map[string]any), reporting nulls,
// floats and anything else 1.9's stringifier would crash on. path names
// the value in errors.
func normalize(v any, path string, errs *errList) (any, bool) {
	if v == nil {
		errs.add(path, "must not be null (DC/OS 1.9 fails on YAML null; give a value or remove the key)")
		return nil, false
	}
	switch x := v.(type) {
	case string, bool:
		return x, true
	case float32, float64:
		errs.add(path, "must not be a float (DC/OS 1.9 fails on floats; use an integer or quote the value)")
		return nil, false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := rv.Uint()
		if u > 1<<63-1 {
			errs.add(path, "integer %d is too large", u)
			return nil, false
		}
		return int64(u), true
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		ok := true
		for i := range out {
			var good bool
			out[i], good = normalize(rv.Index(i).Interface(), fmt.Sprintf("%s[%d]", path, i), errs)
			ok = ok && good
		}
		return out, ok
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		ok := true
		iter := rv.MapRange()
		for iter.Next() {
			k, isString := iter.Key().Interface().(string)
			if !isString {
				errs.add(path, "mapping keys must be strings, got %v", iter.Key().Interface())
				ok = false
				continue
			}
			var good bool
			out[k], good = normalize(iter.Value().Interface(), path+"."+k, errs)
			ok = ok && good
		}
		return out, ok
	}
	errs.add(path, "unsupported value of type %T (use a string, integer, boolean, list or mapping)", v)
	return nil, false
}

// typeName says what a normalized value is, for messages.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

// checkValue validates a normalized value against p and returns the value
// to render (booleans and integers in their YAML types), or the problem
// and, for one inside a list or mapping, its path below the key.
func checkValue(p param, v any) (out any, sub, msg string) {
	out, msg = checkKind(p, v)
	if msg != "" {
		return nil, "", msg
	}
	if p.check != nil { // first: 1.9's own rule has the better message
		if sub, msg = p.check(out); msg != "" {
			return nil, sub, msg
		}
	}
	if s, ok := out.(string); ok {
		msg = unrenderable(s)
		if msg == "" && p.inJSON != "" {
			msg = jsonStringUnsafe(s, p.inJSON)
		}
	}
	if msg != "" {
		return nil, "", msg
	}
	return out, "", ""
}

func checkKind(p param, v any) (any, string) {
	switch p.kind {
	case kString:
		switch v.(type) {
		case string, int64:
			return v, ""
		}
		return nil, "must be a string, got " + typeName(v)
	case kBool:
		switch x := v.(type) {
		case bool:
			return x, ""
		case string:
			if x == "true" || x == "false" {
				return x == "true", ""
			}
		}
		return nil, fmt.Sprintf("must be true or false, got %s", show(v))
	case kInt:
		n, msg := checkInt(v)
		if msg != "" {
			return nil, msg
		}
		if p.max == noMax && n < p.min {
			return nil, fmt.Sprintf("must be at least %d, got %d", p.min, n)
		}
		if p.max != noMax && (n < p.min || n > p.max) {
			return nil, fmt.Sprintf("must be between %d and %d inclusive, got %d", p.min, p.max, n)
		}
		return n, ""
	case kSwitch:
		s, ok := v.(string)
		if !ok || !contains(p.cases, s) {
			return nil, fmt.Sprintf("must be one of %s, got %s", quoteList(p.cases), show(v))
		}
		return s, ""
	case kIPv4:
		s, ok := v.(string)
		if !ok || !isIPv4(s) {
			return nil, "must be an IPv4 address, got " + show(v)
		}
		return s, ""
	case kIPv4List:
		return checkList(v, true, func(s string) string {
			if !isIPv4(s) {
				return "not an IPv4 address"
			}
			return ""
		})
	case kIPPortList:
		return checkList(v, true, checkIPPort)
	case kStringList:
		return checkList(v, false, func(string) string { return "" })
	case kMap:
		if _, ok := v.(map[string]any); !ok {
			return nil, "must be a mapping, got " + typeName(v)
		}
		return v, ""
	case kForwardZones:
		return v, checkForwardZones(v)
	case kJSONText:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Sprintf(`must be a string holding JSON (null, or '"text"' with the quotes), got %s`, typeName(v))
		}
		if msg := unrenderable(s); msg != "" {
			return nil, msg
		}
		return s, checkJSONText(s)
	case kJSONBoolOrNull:
		switch x := v.(type) {
		case bool:
			return x, ""
		case string:
			switch x {
			case "true", "false":
				return x == "true", ""
			case "null":
				return x, ""
			}
		}
		return nil, fmt.Sprintf("is inserted as is into %s: must be true, false or 'null' (quoted; a YAML null would crash DC/OS 1.9), got %s", uiConfigJSON, show(v))
	}
	return nil, "unhandled parameter kind"
}

// checkInt accepts a YAML integer, or a string holding the plain decimal
// form of one. 1.9 reads integers with Python's int(), which also takes
// " 1420", "+1420" or "01420", but writes the value into its files as
// given (as JSON, "+1420" and "01420" are invalid); such strings are
// refused rather than silently rewritten.
func checkInt(v any) (int64, string) {
	switch x := v.(type) {
	case int64:
		return x, ""
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		if err == nil && strconv.FormatInt(n, 10) == x {
			return n, ""
		}
		if n, ok := pythonInt(x); ok {
			return 0, fmt.Sprintf("must be written as a plain integer such as %d, got %s (DC/OS 1.9 would read it as %d but write it into its files as given)", n, show(x), n)
		}
	}
	return 0, "must be an integer, got " + show(v)
}

// pythonInt is what Python 3's int() makes of s (surrounding whitespace,
// a sign, leading zeros and single underscores between digits allowed).
func pythonInt(s string) (int64, bool) {
	t := strings.TrimSpace(s)
	if t == "" || strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") || strings.Contains(t, "__") {
		return 0, false
	}
	body := strings.TrimLeft(t, "+-")
	if len(t)-len(body) > 1 || strings.HasPrefix(body, "_") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), 10, 64)
	return n, err == nil
}

// checkList requires a list of strings, each passing item; unique says
// whether 1.9 refuses duplicates (its IP lists do, check_duplicates).
func checkList(v any, unique bool, item func(string) string) (any, string) {
	list, ok := v.([]any)
	if !ok {
		return nil, "must be a list, got " + typeName(v)
	}
	seen := map[string]bool{}
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Sprintf("item %d must be a string, got %s", i, show(e))
		}
		if msg := item(s); msg != "" {
			return nil, fmt.Sprintf("item %d %s: %s", i, show(s), msg)
		}
		if unique && seen[s] {
			return nil, fmt.Sprintf("item %d %s: duplicate (DC/OS 1.9 refuses duplicates in this list)", i, show(s))
		}
		seen[s] = true
	}
	return list, ""
}

// checkIPPort: 1.9's validate_ip_port_list takes IPv4 or IPv4:port with
// the port between 1 and 65535.
func checkIPPort(s string) string {
	host, port, hasPort := strings.Cut(s, ":")
	if !isIPv4(host) {
		return "not an IPv4 address or IPv4:port"
	}
	if hasPort {
		n, err := strconv.Atoi(port)
		if err != nil || strconv.Itoa(n) != port || n < 1 || n > 65535 {
			return "port must be a number between 1 and 65535"
		}
	}
	return ""
}

// asInt accepts a YAML integer only.
func asInt(v any) (int64, bool) {
	n, ok := v.(int64)
	return n, ok
}

// show renders a scalar for a message; lists and maps are named only.
func show(v any) string {
	switch x := v.(type) {
	case string:
		if !printableASCII(x) {
			return strconv.Quote(x)
		}
		return "'" + x + "'"
	case bool, int64:
		return fmt.Sprint(x)
	}
	return typeName(v)
}

func quoteList(cases []string) string {
	q := make([]string, len(cases))
	for i, c := range cases {
		q[i] = "'" + c + "'"
	}
	return strings.Join(q, ", ")
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
