// Package registry is the shared Azure Container Registry (ACR) side of
// the tool: the credentials file and docker.tar.gz archive every agent
// gets, and (with go-containerregistry) the checks a docker client would
// make against the registry.
package registry
