package genconf

// Strings DC/OS 1.9.10 validates but cannot render. gen substitutes each
// value as text into YAML templates (mostly inside `content: |` blocks)
// and then reads the result with PyYAML 3.12: a line break in a value
// ends the block early (the rest lands at column 0 and --genconf crashes
// with a ScannerError), and a character PyYAML's reader does not accept
// crashes it with a ReaderError. A value written between quotes into one
// of its JSON files must not hold a quote, backslash or control
// character, or that file is not JSON.

import (
	"encoding/json"
	"fmt"
)

// lineBreaks are the characters YAML 1.1 (and PyYAML) treats as line
// breaks.
var lineBreaks = map[rune]string{
	'\n': "a line break (U+000A)", '\r': "a carriage return (U+000D)",
	0x85: "a next-line character (U+0085)", 0x2028: "a line separator (U+2028)",
	0x2029: "a paragraph separator (U+2029)",
}

// pyyamlPrintable is PyYAML 3.12's Reader.NON_PRINTABLE complement:
// tab, line breaks, printable ASCII, U+0085, U+00A0-U+D7FF and
// U+E000-U+FFFD. 3.12 refuses characters beyond U+FFFF too (6.0 does not).
func pyyamlPrintable(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7e || r == 0x85 ||
		r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd
}

// unrenderable says why 1.9.10's --genconf cannot render s into its
// templates, or "".
func unrenderable(s string) string {
	for _, r := range s {
		if what, ok := lineBreaks[r]; ok {
			return fmt.Sprintf("contains %s: DC/OS 1.9.10 accepts the value but its --genconf crashes rendering it into its YAML templates; write it on one line", what)
		}
		if !pyyamlPrintable(r) {
			return fmt.Sprintf("contains the character U+%04X, which DC/OS 1.9.10's YAML reader (PyYAML 3.12) refuses when --genconf renders its templates", r)
		}
	}
	return ""
}

// jsonStringUnsafe says why s cannot be written unescaped between quotes
// into the JSON file named file, or "".
func jsonStringUnsafe(s, file string) string {
	for _, r := range s {
		var what string
		switch {
		case r == '"':
			what = `a double quote (")`
		case r == '\\':
			what = `a backslash (\)`
		case r < 0x20:
			what = fmt.Sprintf("the control character U+%04X", r)
		default:
			continue
		}
		return fmt.Sprintf("contains %s: DC/OS 1.9.10 writes this value unescaped between quotes into %s, which would then not be valid JSON", what, file)
	}
	return ""
}

// checkJSONText: ui_banner_header_title and its siblings are inserted
// into ui-config.json as they are, so the value must itself be JSON: null
// (1.9's default) or a JSON string with its quotes.
func checkJSONText(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		if _, isString := v.(string); isString || v == nil {
			return ""
		}
	}
	return fmt.Sprintf(`is inserted as is into %s, so it must be JSON: null, or a JSON string with its quotes such as '"Welcome"' (got %s)`, uiConfigJSON, show(s))
}
