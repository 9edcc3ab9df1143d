package dcoscli

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// decode parses a DC/OS CLI toml file into nested maps.
func decode(data []byte) (map[string]any, error) {
	doc := map[string]any{}
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// coreString returns core.<key> when it is a string.
func coreString(doc map[string]any, key string) (string, bool) {
	core, ok := doc["core"].(map[string]any)
	if !ok {
		return "", false
	}
	s, ok := core[key].(string)
	return s, ok
}

// clusterName returns cluster.name when it is a string.
func clusterName(doc map[string]any) string {
	c, ok := doc["cluster"].(map[string]any)
	if !ok {
		return ""
	}
	s, _ := c["name"].(string)
	return s
}

// newEntry is the text of a fresh cluster file. name == "" leaves out the
// [cluster] table (the 0.4.x files: its schema has no such section).
func newEntry(url, sslVerify, name string) []byte {
	var b strings.Builder
	b.WriteString("[core]\n")
	fmt.Fprintf(&b, "dcos_url = %s\n", quote(url))
	fmt.Fprintf(&b, "ssl_verify = %s\n", quote(sslVerify))
	if name != "" {
		b.WriteString("\n[cluster]\n")
		fmt.Fprintf(&b, "name = %s\n", quote(name))
	}
	return []byte(b.String())
}

// quote writes s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

var (
	tableHeader = regexp.MustCompile(`^\s*\[\s*([A-Za-z0-9_-]+|"[^"]*")\s*\]\s*(#.*)?$`)
	arrayHeader = regexp.MustCompile(`^\s*\[\[`)
	urlLine     = regexp.MustCompile(`^(\s*(?:dcos_url|"dcos_url")\s*=\s*)("(?:[^"\\]|\\.)*"|'[^']*')(\s*(?:#.*)?)$`)
)

// setCoreURL returns data with core.dcos_url set to url, changing as
// little text as possible: the value of the one dcos_url line in [core]
// (or a line added right after the [core] header, or a [core] table added
// at the end). doc is data as decode read it (the caller has it already);
// it is not changed. It decodes the result and checks that exactly that value
// changed; when the text cannot be edited that safely (dotted keys,
// inline tables, ...) it re-encodes the whole document with every key and
// value kept, and says so with rewritten = true (comments and layout are
// lost then).
func setCoreURL(data []byte, doc map[string]any, url string) (out []byte, rewritten bool, err error) {
	want := deepCopy(doc)
	core, ok := want["core"].(map[string]any)
	if !ok {
		if _, present := want["core"]; present {
			return nil, false, fmt.Errorf("core is not a table")
		}
		core = map[string]any{}
		want["core"] = core
	}
	core["dcos_url"] = url

	if edited, ok := editURLLine(data, url); ok {
		if got, err := decode(edited); err == nil && reflect.DeepEqual(got, want) {
			return edited, false, nil
		}
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(want); err != nil {
		return nil, false, fmt.Errorf("encode: %w", err)
	}
	got, err := decode(buf.Bytes())
	if err != nil || !reflect.DeepEqual(got, want) {
		return nil, false, fmt.Errorf("re-encoding would change other keys; edit core.dcos_url by hand")
	}
	return buf.Bytes(), true, nil
}

// editURLLine is the textual part of setCoreURL; ok = false when the file
// has a shape the line editor does not handle.
func editURLLine(data []byte, url string) ([]byte, bool) {
	text := string(data)
	lines := strings.SplitAfter(text, "\n")
	table, coreHeader := "", -1
	for i, raw := range lines {
		line := strings.TrimRight(raw, "\r\n")
		if arrayHeader.MatchString(line) {
			table = "[["
			continue
		}
		if m := tableHeader.FindStringSubmatch(line); m != nil {
			table = strings.Trim(m[1], `"`)
			if table == "core" {
				coreHeader = i
			}
			continue
		}
		if table != "core" {
			continue
		}
		if m := urlLine.FindStringSubmatch(line); m != nil {
			lines[i] = m[1] + quote(url) + m[3] + raw[len(line):]
			return []byte(strings.Join(lines, "")), true
		}
	}
	newline := "\n"
	if strings.Contains(text, "\r\n") {
		newline = "\r\n"
	}
	if coreHeader >= 0 {
		ins := "dcos_url = " + quote(url) + newline
		if !strings.HasSuffix(lines[coreHeader], "\n") {
			lines[coreHeader] += newline
		}
		lines = append(lines[:coreHeader+1], append([]string{ins}, lines[coreHeader+1:]...)...)
		return []byte(strings.Join(lines, "")), true
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += newline
	}
	if text != "" {
		text += newline
	}
	return []byte(text + "[core]" + newline + "dcos_url = " + quote(url) + newline), true
}

func deepCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = deepCopy(sub)
		}
		out[k] = v
	}
	return out
}
