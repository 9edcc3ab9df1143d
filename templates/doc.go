// Package templates is everything the installer does in vCenter: one
// verified, self-renewing session; an inventory preflight that fails before
// anything is created; the CentOS template (imported from an OVA when
// missing); concurrent clone + guest customization + power on + wait for the
// customized IP; ownership marks so re-runs adopt instead of duplicating;
// and destroy of only the VMs this tool marked for a cluster.
package templates
