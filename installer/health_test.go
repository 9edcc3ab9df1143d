package installer

import (
	"strings"
	"testing"
)

func TestCheckExhibitor(t *testing.T) {
	serving := `{"code":3,"description":"serving","hostname":"%s","isLeader":%s}`
	member := func(ip, leader string) string {
		return strings.Replace(strings.Replace(serving, "%s", ip, 1), "%s", leader, 1)
	}
	ok := "[" + member("a", "true") + "," + member("b", "false") + "," + member("c", "false") + "]"
	if err := checkExhibitor([]byte(ok), 3); err != nil {
		t.Fatalf("healthy ensemble rejected: %v", err)
	}
	cases := map[string]string{
		"two leaders":  "[" + member("a", "true") + "," + member("b", "true") + "," + member("c", "false") + "]",
		"no leader":    "[" + member("a", "false") + "," + member("b", "false") + "," + member("c", "false") + "]",
		"one missing":  "[" + member("a", "true") + "," + member("b", "false") + "]",
		"not serving":  `[{"code":1,"description":"down","hostname":"a","isLeader":true},` + member("b", "false") + "," + member("c", "false") + "]",
		"garbage":      `<html>`,
		"empty answer": `[]`,
	}
	for name, body := range cases {
		if err := checkExhibitor([]byte(body), 3); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCheckMetric(t *testing.T) {
	if err := checkMetric([]byte(`{"slave/registered": 1, "x": 0}`), "slave/registered"); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{"slave/registered": 0}`, `{}`, `nope`} {
		if err := checkMetric([]byte(body), "slave/registered"); err == nil {
			t.Errorf("%s accepted", body)
		}
	}
}

func TestDCOSVersion(t *testing.T) {
	v, err := dcosVersion([]byte(`{"version":"1.9.10","dcos-image-commit":"x"}`))
	if err != nil || v != "1.9.10" {
		t.Fatalf("v=%q err=%v", v, err)
	}
	if _, err := dcosVersion([]byte(`{}`)); err == nil {
		t.Fatal("empty version accepted")
	}
}
