package tui

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
)

var (
	clusterNameRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	hostnameRe    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
)

func validClusterName(s string) error {
	if !clusterNameRe.MatchString(s) {
		return errors.New("use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit")
	}
	return nil
}

func required(what string) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("%s is required", what)
		}
		return nil
	}
}

func validVCenterURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return errors.New("enter a URL like https://vcenter.example.com/sdk")
	}
	if u.Scheme != "https" {
		return errors.New("vCenter URL must use https")
	}
	return nil
}

// validThumbprint accepts a SHA-1 or SHA-256 certificate fingerprint in
// hex, with or without ':' separators.
func validThumbprint(s string) error {
	b, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
	if err != nil || (len(b) != 20 && len(b) != 32) {
		return errors.New("enter the SHA-256 (or SHA-1) fingerprint in hex, e.g. AB:CD:…")
	}
	return nil
}

func fileExists(s string) error {
	if s == "" {
		return errors.New("a file path is required")
	}
	st, err := os.Stat(s)
	if err != nil {
		return fmt.Errorf("cannot use %s: %w", s, err)
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a directory", s)
	}
	return nil
}

func optionalFile(s string) error {
	if s == "" {
		return nil
	}
	return fileExists(s)
}

func validIPv4(s string) error {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return fmt.Errorf("%q is not an IPv4 address", s)
	}
	return nil
}

func validPrefix(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 32 {
		return errors.New("prefix length must be a number from 1 to 32")
	}
	return nil
}

func validPort(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return errors.New("port must be a number from 1 to 65535")
	}
	return nil
}

func validCount(max int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > max {
			return fmt.Errorf("enter a number from 0 to %d", max)
		}
		return nil
	}
}

// splitList splits "a, b c" into its items.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
}

func validDNSList(s string) error {
	items := splitList(s)
	if len(items) == 0 {
		return errors.New("enter at least one DNS server")
	}
	for _, it := range items {
		if err := validIPv4(it); err != nil {
			return err
		}
	}
	return nil
}

func validHostname(s string) error {
	if !hostnameRe.MatchString(s) {
		return fmt.Errorf("%q is not a valid host name", s)
	}
	return nil
}

func optionalHostname(s string) error {
	if s == "" {
		return nil
	}
	return validHostname(s)
}

// validInstaller accepts an http(s) URL or an existing local file.
func validInstaller(s string) error {
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		if u, err := url.Parse(s); err != nil || u.Host == "" {
			return fmt.Errorf("%q is not a valid URL", s)
		}
		return nil
	}
	if err := fileExists(s); err != nil {
		return fmt.Errorf("enter an http(s) URL or the path of dcos_generate_config.sh: %w", err)
	}
	return nil
}

func validInterface(s string) error {
	if s == "" || len(s) > 15 || strings.ContainsAny(s, " /") {
		return errors.New("enter a network interface name such as eth0 or ens192")
	}
	return nil
}
