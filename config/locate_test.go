package config

import (
	"strings"
	"testing"
)

func TestLocatePointsAtTheFieldOrItsNearestAncestor(t *testing.T) {
	t.Setenv("VCENTER_PASSWORD", "pw")
	c, _, err := Load("../testdata/config/good/minimal-1-master.yaml")
	if err != nil {
		t.Fatal(err)
	}
	errs := c.Locate([]FieldError{
		{Path: "dcos.config.no_such_key", Message: "not a DC/OS 1.9 parameter"},
		{Path: "nodes.bootstrap.ip", Message: "x"},
		{Path: "dcos.installer", Message: "y"},
	})
	if len(errs.List) != 3 {
		t.Fatalf("got %v", errs.List)
	}
	for _, fe := range errs.List {
		if fe.Line <= 1 || fe.File == "" {
			t.Errorf("%s: no position: %+v", fe.Path, fe)
		}
	}
	if !strings.Contains(errs.Error(), "minimal-1-master.yaml:") || errs.ExitCode() != 2 {
		t.Fatalf("Error() = %s", errs.Error())
	}
}
