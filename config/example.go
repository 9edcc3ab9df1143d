package config

import _ "embed"

// exampleYAML is the commented example written by `dcos-vsphere init`.
//
//go:embed example.yaml
var exampleYAML []byte

// ExampleEnv lists the environment variables the example refers to.
var ExampleEnv = []string{"VCENTER_PASSWORD", "REGISTRY_PASSWORD"}

// Example returns a copy of the commented example cluster.yaml.
func Example() []byte { return append([]byte(nil), exampleYAML...) }
