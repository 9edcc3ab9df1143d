// Package tui is the terminal front end of dcos-vsphere: a guided wizard
// that writes cluster.yaml (RunWizard) and a live progress view that
// renders installer events (Progress). It only renders state and sends
// intents; installs run outside it and report through installer.Sink.
package tui
