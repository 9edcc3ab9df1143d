// Package genconf renders the DC/OS 1.9 advanced-install inputs that
// dcos_generate_config.sh reads from genconf/: config.yaml, ip-detect and
// (when asked) ip-detect-public, all derived from a *config.Cluster.
//
// The DC/OS 1.9.10 generator accepts unknown keys silently and crashes on
// YAML nulls and floats, so this package checks every pass-through key
// (dcos.config) against the 1.9 parameter list and its rules before
// anything reaches a bootstrap node, and Check re-validates a rendered or
// hand-written config.yaml.
//
// config.yaml layout, fixed so that the same cluster.yaml always gives the
// same bytes (and so the same DC/OS config id): a header comment without
// timestamp, then the keys dcos-vsphere writes, in this order when
// present: bootstrap_url, cluster_name, master_discovery,
// exhibitor_storage_backend, master_list, resolvers, dns_search,
// ip_detect_filename, ip_detect_public_filename,
// cluster_docker_credentials_enabled; then the
// remaining dcos.config keys sorted by name. Nested mappings are sorted by
// key. Booleans and integers are written as YAML booleans and integers.
//
// Choices:
//   - resolvers come from network.dns; when that is empty the key is left
//     out so 1.9's default (8.8.8.8, 8.8.4.4) applies. dcos.config.resolvers
//     (for IPv4:port entries or an explicit []) overrides network.dns, and
//     dcos.config.dns_search overrides network.searchDomain.
//   - master_discovery and exhibitor_storage_backend default to static and
//     may be overridden in dcos.config (with their required keys).
//     master_list is always written (the installer needs the masters; 1.9
//     ignores it under master_http_loadbalancer).
//   - Generated ip-detect scripts (route, interface) print exactly one
//     dotted quad and a newline, or exit 1 with a message on stderr and
//     nothing on stdout. method route reads the token after "src" in
//     `ip -4 route get <first master>`; it is also what ip-detect-public
//     uses with method route.
//   - config.yaml never contains agent_list or public_agent_list: any
//     change of config.yaml changes the config id, and adding an agent
//     later must not make the cluster's config differ from what it was
//     installed from.
//   - registry.* becomes cluster_docker_credentials_enabled: true and no
//     credentials, so 1.9's Mesos agents read /etc/mesosphere/docker_credentials
//     (--docker_config), which the installer writes on each agent. The
//     password never enters config.yaml, the config id or genconf/serve
//     (1.9 puts cluster_docker_credentials into the dcos-config package,
//     served over plain HTTP), so dcos.config.cluster_docker_credentials is
//     refused. Secret pass-through keys (exhibitor_admin_password, ...) make
//     Files.WriteDir write config.yaml 0600; Files.Redacted is the only form
//     that may be logged.
package genconf
