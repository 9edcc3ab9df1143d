package templates

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ConnectError is a failure to reach or log in to vCenter (TLS trust,
// network, credentials). Its exit code is 3, as for SSH failures.
type ConnectError struct {
	URL string // without credentials
	Err error
	// Hint tells the user how to fix it (e.g. how to pin the thumbprint).
	Hint string
}

func (e *ConnectError) Error() string {
	msg := fmt.Sprintf("connect to vCenter %s: %v", e.URL, e.Err)
	if e.Hint != "" {
		msg += "\n" + e.Hint
	}
	return msg
}

func (e *ConnectError) Unwrap() error { return e.Err }

// ExitCode is the process exit code for connection and auth failures.
func (e *ConnectError) ExitCode() int { return 3 }

// NotFoundError is an inventory name from the config that does not exist.
// It names the config field and lists what does exist, so the fix is one
// edit away.
type NotFoundError struct {
	Field string   // config field, e.g. vcenter.datastore
	Name  string   // the configured value
	In    string   // where it was looked for, e.g. DC0
	Have  []string // names that do exist there
}

func (e *NotFoundError) Error() string {
	have := append([]string(nil), e.Have...)
	sort.Strings(have)
	list := strings.Join(have, ", ")
	if list == "" {
		list = "(none)"
	}
	where := ""
	if e.In != "" {
		where = " in " + e.In
	}
	return fmt.Sprintf("%s: %q not found%s; have: %s", e.Field, e.Name, where, list)
}

// ExitCode is 2: a wrong name is a config error.
func (e *NotFoundError) ExitCode() int { return 2 }

// ErrNotOwned is returned (wrapped) when a VM with a planned name exists
// but was not created by this tool for this cluster. Such a VM is never
// touched.
var ErrNotOwned = errors.New("VM exists and is not marked as owned by this cluster")
