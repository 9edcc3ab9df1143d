// Package genconf renders the DC/OS 1.9 advanced-install inputs that
// dcos_generate_config.sh reads from genconf/: config.yaml, ip-detect and
// (when asked) ip-detect-public, all derived from a *config.Cluster.
//
// Every config the tool accepts must be one DC/OS 1.9.10 accepts and can
// render. The 1.9.10 generator accepts unknown keys silently, crashes on
// YAML nulls and floats, validates some values it then cannot render
// (line breaks, characters its YAML reader refuses) and writes others
// unescaped into JSON files, so this package checks every pass-through
// key (dcos.config) against the 1.9.10 parameter list and rules before
// anything reaches a bootstrap node, one message per problem; Check
// re-validates a rendered or hand-written config.yaml, reading it as 1.9
// does (YAML 1.1). docs/dcos-1.9-rules.md lists every rule, the 1.9.10
// function it mirrors, and where the tool is deliberately stricter.
//
// config.yaml layout, fixed so that the same cluster.yaml always gives the
// same bytes (and so the same DC/OS config id): a header comment without
// timestamp, then the keys dcos-vsphere writes, in this order when
// present: bootstrap_url, cluster_name, master_discovery,
// exhibitor_storage_backend, master_list, num_masters, resolvers,
// dns_search, ip_detect_filename, ip_detect_public_filename,
// cluster_docker_credentials_enabled; then the
// remaining dcos.config keys sorted by name. Nested mappings are sorted by
// key. Booleans and integers are written as YAML booleans and integers;
// a string is double-quoted when a YAML 1.1 reader (PyYAML, which 1.9
// uses) would read it as anything but that string (yes, 0x10, 1_000,
// 12:30, 2001-12-14, ~, =, <<, ...) or when it holds a character outside
// printable ASCII, and the file is pure ASCII (\u escapes).
//
// Choices:
//   - network.dns are the nodes' DNS servers and DC/OS's upstream
//     resolvers; dcos.config.resolvers overrides the latter (IPv4:port
//     entries, [] for none). An empty network.dns without
//     dcos.config.resolvers is refused: 1.9 would silently use 8.8.8.8
//     and 8.8.4.4. network.searchDomain (one domain, also the nodes'
//     domain) is the default of dns_search; dcos.config.dns_search
//     overrides it (up to six domains, space-separated).
//   - master_discovery and exhibitor_storage_backend default to static and
//     may be overridden in dcos.config (with their required keys).
//     master_list is always written (the installer needs the masters; 1.9
//     ignores it under master_http_loadbalancer). With
//     master_http_loadbalancer, num_masters is written from nodes.masters;
//     one given in dcos.config must match it.
//   - Integers are taken as YAML integers or their plain decimal string;
//     " 1420" or "+1420" (which 1.9's int() reads, but writes into its
//     files as given) are refused rather than rewritten.
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
