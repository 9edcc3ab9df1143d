package genconf

// DC/OS 1.9.10 reads config.yaml with PyYAML 3.12's safe_load: YAML 1.1,
// where a plain scalar such as yes, 0x10, 1_000, 12:30, 2001-12-14, ~, =
// or << is not a string. This file re-implements PyYAML's implicit
// resolvers (yaml/resolver.py) so that the writer can quote every string
// 1.9 would read as something else, and Check can read a config.yaml the
// way 1.9 does. The resolvers of PyYAML 6.0 (what Debian's python3-yaml
// ships and the tests run) differ from 3.12 in one float pattern only.

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// yaml11Tag is the tag PyYAML's implicit resolvers give a plain scalar.
type yaml11Tag string

const (
	tagStr       yaml11Tag = "str"
	tagBool      yaml11Tag = "bool"
	tagInt       yaml11Tag = "int"
	tagFloat     yaml11Tag = "float"
	tagNull      yaml11Tag = "null"
	tagTimestamp yaml11Tag = "timestamp"
	tagMerge     yaml11Tag = "merge" // "<<": a merge key; no constructor as a value
	tagValue     yaml11Tag = "value" // "=": no constructor; safe_load fails
)

// pyyamlVersion selects the resolver set: 3.12 is what DC/OS 1.9.10's
// image runs, 6.0 is what the tests can run.
type pyyamlVersion int

const (
	pyyaml312 pyyamlVersion = iota
	pyyaml60
)

// The patterns of resolver.py, verbose-mode whitespace removed. Each is
// tried only for the first characters PyYAML registers it for.
var (
	reBool = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	// 3.12: `\.[0-9_]+` (so "._" is a float); 6.0: `\.[0-9][0-9_]*`.
	reFloat312 = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	reFloat60  = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	reInt      = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	reMerge    = regexp.MustCompile(`^(?:<<)$`)
	reNull     = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	reTime     = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
	reValue    = regexp.MustCompile(`^(?:=)$`)
)

type implicitResolver struct {
	tag   yaml11Tag
	re    *regexp.Regexp
	first string // the first characters it is registered for; "" also means the empty scalar
}

func resolvers(v pyyamlVersion) []implicitResolver {
	float := reFloat312
	if v == pyyaml60 {
		float = reFloat60
	}
	// Registration order, which is the order PyYAML tries them in.
	return []implicitResolver{
		{tagBool, reBool, "yYnNtTfFoO"},
		{tagFloat, float, "-+0123456789."},
		{tagInt, reInt, "-+0123456789"},
		{tagMerge, reMerge, "<"},
		{tagNull, reNull, "~nN"},
		{tagTimestamp, reTime, "0123456789"},
		{tagValue, reValue, "="},
	}
}

var (
	resolvers312 = resolvers(pyyaml312)
	resolvers60  = resolvers(pyyaml60)
)

// resolvePlain is PyYAML's Resolver.resolve for a plain scalar: the first
// implicit resolver registered for the value's first character whose
// pattern matches, else str. Python's `$` also matches before a final
// newline, which is kept here.
func resolvePlain(v pyyamlVersion, s string) yaml11Tag {
	rs := resolvers312
	if v == pyyaml60 {
		rs = resolvers60
	}
	if s == "" {
		return tagNull // registered for '' only
	}
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range rs {
		if !strings.ContainsRune(r.first, first) {
			continue
		}
		if r.re.MatchString(s) || strings.HasSuffix(s, "\n") && r.re.MatchString(s[:len(s)-1]) {
			return r.tag
		}
	}
	return tagStr
}

// yaml11Bools are every boolean of the YAML 1.1 type repository; PyYAML
// does not resolve y/Y/n/N, other YAML 1.1 readers do.
var yaml11Bools = map[string]bool{"y": true, "Y": true, "n": true, "N": true}

// base60 is how yaml.v3 recognises YAML 1.1 sexagesimal numbers (it
// quotes them); kept so that the writer never quotes less than yaml.v3.
var base60 = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)

// plainIsNotString reports whether s, written as a plain scalar, would be
// read by a YAML 1.1 reader as something other than the string s: PyYAML
// 3.12 or 6.0 resolves it to another type, or it is a YAML 1.1 boolean
// or sexagesimal number.
func plainIsNotString(s string) bool {
	return resolvePlain(pyyaml312, s) != tagStr || resolvePlain(pyyaml60, s) != tagStr ||
		yaml11Bools[s] || base60.MatchString(s)
}

// yaml11Int is PyYAML's construct_yaml_int for a scalar that resolved to
// int: underscores dropped, 0b binary, 0x hex, a leading 0 octal, a:b:c
// base 60. ok is false where PyYAML itself fails ("0b_") or the number
// does not fit in int64.
func yaml11Int(s string) (int64, bool) {
	v := strings.ReplaceAll(s, "_", "")
	if v == "" {
		return 0, false
	}
	sign := int64(1)
	if v[0] == '-' {
		sign = -1
	}
	if v[0] == '+' || v[0] == '-' {
		v = v[1:]
	}
	parse := func(digits string, base int) (int64, bool) {
		n, err := strconv.ParseInt(digits, base, 64)
		return sign * n, err == nil
	}
	switch {
	case v == "0":
		return 0, true
	case strings.HasPrefix(v, "0b"):
		return parse(v[2:], 2)
	case strings.HasPrefix(v, "0x"):
		return parse(v[2:], 16)
	case strings.HasPrefix(v, "0"):
		return parse(v, 8)
	case strings.Contains(v, ":"):
		var n int64
		for _, part := range strings.Split(v, ":") {
			d, err := strconv.ParseInt(part, 10, 64)
			if err != nil || n > (1<<62)/60 {
				return 0, false
			}
			n = n*60 + d
		}
		return sign * n, true
	}
	return parse(v, 10)
}
