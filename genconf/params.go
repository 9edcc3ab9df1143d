package genconf

// kind is how a DC/OS 1.9 parameter's value is checked and rendered.
type kind int

const (
	kString         kind = iota // a scalar; strings and integers pass (1.9 stringifies both)
	kBool                       // true/false: YAML boolean or "true"/"false", rendered as a boolean
	kInt                        // an integer (or its plain decimal string) within [min, max], rendered as an integer
	kSwitch                     // one of cases (a {% switch %} in 1.9's templates, or a value 1.9 acts on)
	kIPv4                       // one dotted-quad IPv4 address
	kIPv4List                   // list of IPv4, no duplicates
	kIPPortList                 // list of IPv4 or IPv4:port, no duplicates
	kStringList                 // list of strings
	kMap                        // a mapping (1.9 JSON-dumps it and requires a dict)
	kForwardZones               // [[zone, [[ip, port], ...]], ...]
	kJSONText                   // inserted into ui-config.json as is: JSON null or a JSON string
	kJSONBoolOrNull             // inserted into ui-config.json as is: true, false or null
)

// param describes one DC/OS 1.9.10 config.yaml parameter as gen/calc.py
// and gen/dcos-config.yaml use it (docs/dcos-1.9-rules.md lists each
// rule with the 1.9.10 function it mirrors).
type param struct {
	kind   kind
	cases  []string
	min    int64
	max    int64 // 0 = no upper bound
	secret bool  // masked in Files.Redacted
	// inJSON names the JSON file 1.9.10 writes the value into between
	// quotes ("" when it does not).
	inJSON string
	// check is an extra rule on the normalized value; it returns the
	// problem ("" when none) and, for a problem inside a list or mapping,
	// the path below the key (".overlays[0].name").
	check func(v any) (sub, msg string)
}

// noMax marks a kInt without an upper bound.
const noMax = 0

// The JSON files of the dcos-config package that take quoted values.
const (
	uiConfigJSON     = "/opt/mesosphere/etc/ui-config.json"
	signalConfigJSON = "/opt/mesosphere/etc/dcos-signal-config.json"
	loggerModuleJSON = "/opt/mesosphere/etc/mesos-slave-modules/journal_logger_modules.json"
)

// params is every parameter DC/OS 1.9.10 open source reads from
// config.yaml outside its SSH deploy modes, including the keys this tool
// writes itself (Check validates a whole config.yaml with it).
var params = map[string]param{
	// Written by dcos-vsphere (pass-through of these is refused in render.go).
	"bootstrap_url":             {kind: kString, check: checkBootstrapURL},
	"cluster_name":              {kind: kString},
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
	"exhibitor_admin_password":     {kind: kString, secret: true, check: checkExhibitorPassword},

	// DNS.
	"resolvers":             {kind: kIPPortList},
	"dns_search":            {kind: kString, check: checkDNSSearch},
	"dns_forward_zones":     {kind: kForwardZones},
	"dns_bind_ip_blacklist": {kind: kIPv4List},
	"master_dns_bindall":    {kind: kBool},
	"mesos_dns_ip_sources":  {kind: kStringList},

	// Proxy.
	"use_proxy":   {kind: kBool},
	"http_proxy":  {kind: kString},
	"https_proxy": {kind: kString},
	"no_proxy":    {kind: kStringList, check: checkNoProxy},

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
	"mesos_container_log_sink":     {kind: kSwitch, cases: []string{"journald", "logrotate", "journald+logrotate"}, inJSON: loggerModuleJSON},
	"docker_remove_delay":          {kind: kString},
	"docker_stop_timeout":          {kind: kString},
	"gc_delay":                     {kind: kString},
	"enable_docker_gc":             {kind: kBool},
	"dcos_remove_dockercfg_enable": {kind: kBool},
	"enable_gpu_isolation":         {kind: kBool},
	"gpus_are_scarce":              {kind: kBool},
	"weights":                      {kind: kString},
	"rexray_config":                {kind: kMap},
	"rexray_config_preset":         {kind: kSwitch, cases: []string{"", "aws"}},

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
	"oauth_auth_host":              {kind: kString, inJSON: uiConfigJSON},
	"adminrouter_auth_enabled":     {kind: kBool},
	"auth_cookie_secure_flag":      {kind: kBool},
	"telemetry_enabled":            {kind: kBool},
	"check_time":                   {kind: kBool},
	"platform":                     {kind: kString, inJSON: signalConfigJSON},
	"bootstrap_tmp_dir":            {kind: kString, check: checkBootstrapTmpDir},
	"cosmos_config":                {kind: kMap, check: checkCosmosConfig},
	"ui_tracking":                  {kind: kBool},
	"ui_banner":                    {kind: kBool},
	"ui_banner_background_color":   {kind: kString, inJSON: uiConfigJSON},
	"ui_banner_foreground_color":   {kind: kString, inJSON: uiConfigJSON},
	"ui_banner_header_title":       {kind: kJSONText},
	"ui_banner_header_content":     {kind: kJSONText},
	"ui_banner_footer_content":     {kind: kJSONText},
	"ui_banner_image_path":         {kind: kJSONText},
	"ui_banner_dismissible":        {kind: kJSONBoolOrNull},
}

// sshModeKeys are read only by the 1.9 SSH installer modes
// (--preflight, --deploy, ...), which dcos-vsphere replaces.
var sshModeKeys = map[string]bool{
	"ssh_user": true, "ssh_port": true, "ssh_key_path": true,
	"ssh_parallelism": true, "process_timeout": true, "extra_ssh_options": true,
}

// calculatedKeys are computed by gen: its 'must' entries and builtins
// (setting one is "must be calculated, but was explicitly set"), and the
// defaults computed from the installer image (bootstrap_id, ...) or from
// other keys, which 1.9 lets a user override only to break the install.
var calculatedKeys = map[string]bool{
	// gen/calc.py entry['must']
	"cluster_docker_credentials_path": true, "cluster_docker_registry_enabled": true,
	"cluster_packages": true, "config_id": true, "config_package_ids": true,
	"cosmos_package_storage_uri_flag": true, "cosmos_staged_package_storage_uri_flag": true,
	"curly_pound": true, "custom_auth": true, "dcos_gen_resolvconf_search_str": true,
	"dcos_image_commit": true, "dcos_version": true, "exhibitor_admin_password_enabled": true,
	"exhibitor_static_ensemble": true, "fair_sharing_excluded_resource_names": true,
	"has_master_external_loadbalancer": true, "master_quorum": true, "mesos_dns_resolvers_str": true,
	"mesos_hooks": true, "mesos_isolation": true, "mesos_log_directory_max_files": true,
	"mesos_log_retention_count": true, "minuteman_forward_metrics": true,
	"minuteman_max_named_ip_erltuple": true, "minuteman_min_named_ip_erltuple": true,
	"no_proxy_final": true, "profile_symlink_cmd": true, "profile_symlink_source": true,
	"profile_symlink_target": true, "profile_symlink_target_dir": true, "resolvers_str": true,
	"rexray_config_contents": true, "ui_branding": true, "ui_external_links": true,
	"ui_networking": true, "ui_organization": true, "ui_telemetry_metadata": true,
	"use_mesos_hooks": true, "custom_auth_json": true,
	// gen/build_deploy/bash.py onprem_source and gen builtins
	"provider": true, "package_ids": true, "bootstrap_id": true, "template_filenames": true,
	"config_package_names": true, "user_arguments": true, "user_arguments_full": true,
	"config_yaml": true, "config_yaml_full": true, "expanded_config": true,
	"expanded_config_full": true, "sources_id": true,
	// defaults calculated from the image or from other keys
	"bootstrap_variant": true, "cluster_packages_json": true,
	"ip_detect_contents": true, "ip_detect_public_contents": true,
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
