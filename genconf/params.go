package genconf

// kind is how a DC/OS 1.9 parameter's value is checked and rendered.
type kind int

const (
	kString       kind = iota // a scalar; strings and integers pass (1.9 stringifies both)
	kBool                     // true/false: YAML boolean or "true"/"false", rendered as a boolean
	kInt                      // an integer (or decimal string) within [min, max], rendered as an integer
	kSwitch                   // one of cases (a {% switch %} in 1.9's templates)
	kIPv4                     // one dotted-quad IPv4 address
	kIPv4List                 // list of IPv4, no duplicates
	kIPPortList               // list of IPv4 or IPv4:port, no duplicates
	kStringList               // list of strings
	kMap                      // a mapping (1.9 JSON-dumps it and requires a dict)
	kDNSSearch                // resolv.conf search line
	kForwardZones             // [[zone, [[ip, port], ...]], ...]
)

// param describes one DC/OS 1.9.10 config.yaml parameter as gen/calc.py
// validates it (reference section 1).
type param struct {
	kind   kind
	cases  []string
	min    int64
	max    int64 // 0 = no upper bound
	secret bool  // masked in Files.Redacted, as 1.9 masks it in user.config.yaml
	// check is an extra rule on the normalized value; it returns the
	// problem or "".
	check func(v any) string
}

// noMax marks a kInt without an upper bound.
const noMax = 0

// params is every parameter DC/OS 1.9.10 open source reads from
// config.yaml outside its SSH deploy modes, including the keys this tool
// writes itself (Check validates a whole config.yaml with it).
var params = map[string]param{
	// Written by dcos-vsphere (pass-through of these is refused in render.go).
	"bootstrap_url":             {kind: kString, check: checkBootstrapURL},
	"cluster_name":              {kind: kString, check: nonEmpty},
	"master_list":               {kind: kIPv4List, check: checkMasterCount},
	"ip_detect_filename":        {kind: kString, check: nonEmpty},
	"ip_detect_public_filename": {kind: kString},

	// Required switches and their conditional keys.
	"master_discovery":             {kind: kSwitch, cases: []string{"static", "master_http_loadbalancer"}},
	"exhibitor_storage_backend":    {kind: kSwitch, cases: []string{"static", "zookeeper", "aws_s3", "azure", "shared_filesystem"}},
	"exhibitor_address":            {kind: kString, check: nonEmpty},
	"num_masters":                  {kind: kInt, min: 1, max: 9, check: checkNumMasters},
	"exhibitor_zk_hosts":           {kind: kString, check: checkZKHosts},
	"exhibitor_zk_path":            {kind: kString, check: checkZKPath},
	"aws_region":                   {kind: kString},
	"s3_bucket":                    {kind: kString},
	"s3_prefix":                    {kind: kString},
	"exhibitor_explicit_keys":      {kind: kBool},
	"aws_access_key_id":            {kind: kString, secret: true},
	"aws_secret_access_key":        {kind: kString, secret: true},
	"exhibitor_azure_account_name": {kind: kString},
	"exhibitor_azure_account_key":  {kind: kString, secret: true},
	"exhibitor_azure_prefix":       {kind: kString},
	"exhibitor_fs_config_dir":      {kind: kString, check: nonEmpty},
	"exhibitor_admin_password":     {kind: kString, secret: true},

	// DNS.
	"resolvers":             {kind: kIPPortList},
	"dns_search":            {kind: kDNSSearch},
	"dns_forward_zones":     {kind: kForwardZones},
	"dns_bind_ip_blacklist": {kind: kIPv4List},
	"master_dns_bindall":    {kind: kBool},
	"mesos_dns_ip_sources":  {kind: kStringList},

	// Proxy.
	"use_proxy":   {kind: kBool},
	"http_proxy":  {kind: kString},
	"https_proxy": {kind: kString},
	"no_proxy":    {kind: kStringList},

	// Docker registries.
	"cluster_docker_credentials":              {kind: kMap, secret: true},
	"cluster_docker_credentials_enabled":      {kind: kBool},
	"cluster_docker_credentials_dcos_owned":   {kind: kBool},
	"cluster_docker_credentials_write_to_etc": {kind: kBool},
	"cluster_docker_registry_url":             {kind: kString},

	// Overlay networking.
	"dcos_overlay_enable":               {kind: kBool},
	"dcos_overlay_mtu":                  {kind: kInt, min: 552, max: noMax},
	"dcos_overlay_config_attempts":      {kind: kInt, min: 0, max: 10},
	"dcos_overlay_network":              {kind: kMap, check: checkOverlayNetwork},
	"dcos_overlay_network_default_name": {kind: kString, check: nonEmpty},

	// Mesos, Docker, logs.
	"mesos_log_retention_mb":       {kind: kInt, min: 1024, max: noMax},
	"mesos_container_log_sink":     {kind: kSwitch, cases: []string{"journald", "logrotate", "journald+logrotate"}},
	"docker_remove_delay":          {kind: kString},
	"docker_stop_timeout":          {kind: kString},
	"gc_delay":                     {kind: kString},
	"enable_docker_gc":             {kind: kBool},
	"dcos_remove_dockercfg_enable": {kind: kBool},
	"enable_gpu_isolation":         {kind: kBool},
	"gpus_are_scarce":              {kind: kBool},
	"weights":                      {kind: kString},
	"rexray_config":                {kind: kMap},
	"rexray_config_preset":         {kind: kSwitch, cases: []string{"aws"}},

	// Load balancing, auth, UI, misc.
	"enable_lb":                    {kind: kBool},
	"minuteman_min_named_ip":       {kind: kIPv4},
	"minuteman_max_named_ip":       {kind: kIPv4},
	"master_external_loadbalancer": {kind: kString},
	"oauth_enabled":                {kind: kBool},
	"oauth_available":              {kind: kBool},
	"oauth_issuer_url":             {kind: kString},
	"oauth_client_id":              {kind: kString},
	"oauth_auth_redirector":        {kind: kString},
	"oauth_auth_host":              {kind: kString},
	"auth_cookie_secure_flag":      {kind: kBool},
	"telemetry_enabled":            {kind: kBool},
	"check_time":                   {kind: kBool},
	"platform":                     {kind: kString},
	"bootstrap_tmp_dir":            {kind: kString, check: nonEmpty},
	"cosmos_config":                {kind: kMap, check: checkCosmosConfig},
	"ui_tracking":                  {kind: kBool},
	"ui_banner":                    {kind: kBool},
	"ui_banner_background_color":   {kind: kString},
	"ui_banner_foreground_color":   {kind: kString},
	"ui_banner_header_title":       {kind: kString},
	"ui_banner_header_content":     {kind: kString},
	"ui_banner_footer_content":     {kind: kString},
	"ui_banner_image_path":         {kind: kString},
	"ui_banner_dismissible":        {kind: kBool},
}

// sshModeKeys are read only by the 1.9 SSH installer modes
// (--preflight, --deploy, ...), which dcos-vsphere replaces.
var sshModeKeys = map[string]bool{
	"ssh_user": true, "ssh_port": true, "ssh_key_path": true,
	"ssh_parallelism": true, "process_timeout": true, "extra_ssh_options": true,
}

// calculatedKeys are computed by gen ("must be calculated"); setting them
// is an error in 1.9 or silently wrong.
var calculatedKeys = map[string]bool{
	"master_quorum": true, "provider": true, "dcos_version": true, "config_id": true,
	"cluster_packages": true, "cluster_packages_json": true, "exhibitor_static_ensemble": true,
	"bootstrap_id": true, "bootstrap_variant": true, "dcos_image_commit": true,
	"ip_detect_contents": true, "ip_detect_public_contents": true, "no_proxy_final": true,
	"resolvers_str": true, "mesos_dns_resolvers_str": true, "exhibitor_admin_password_enabled": true,
	"adminrouter_auth_enabled": true, "mesos_isolation": true, "mesos_hooks": true,
	"use_mesos_hooks": true, "mesos_log_retention_count": true, "mesos_log_directory_max_files": true,
	"gen_resolvconf_search": true, "rexray_config_contents": true, "template_filenames": true,
	"package_names": true, "user_arguments": true, "config_package_ids": true,
}

// documentedOnly are in the 1.9 docs but not read by 1.9.10 open source.
var documentedOnly = map[string]bool{
	"log_directory": true, "mesos_max_completed_tasks_per_framework": true,
}

// enterpriseKeys belong to DC/OS Enterprise 1.9.
var enterpriseKeys = map[string]bool{
	"security": true, "superuser_username": true, "superuser_password_hash": true,
	"customer_key": true, "zk_super_credentials": true, "zk_master_credentials": true,
	"zk_agent_credentials": true, "bouncer_expiration_auth_token_days": true,
	"dcos_audit_logging": true,
}
