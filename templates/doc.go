// Package templates is everything the installer does in vCenter: one
// verified, self-renewing session; a preflight that fails before anything
// is created (inventory names, every privilege the user lacks, datastore
// and host capacity); the CentOS template (imported from an OVA when
// missing); placement that keeps masters on distinct ESXi hosts (a DRS
// anti-affinity rule where DRS runs); concurrent clone + guest
// customization + power on + wait for the customized IP; ownership marks
// so re-runs adopt instead of duplicating; and destroy of only the VMs
// (and rule) this tool made for a cluster.
package templates
