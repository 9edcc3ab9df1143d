package templates

import "time"

// VMSpec is one planned VM. Hostname defaults to Name; a dotted hostname
// carries its own domain.
type VMSpec struct {
	Name, IP, Hostname, Role string
	CPUs, MemoryMB, DiskGB   int
}

// VM is a VM of the cluster as it is after the clone phase.
type VM struct {
	Name         string
	Role         string
	Ref          string // managed object reference value, e.g. vm-123
	InstanceUUID string
	ClusterID    string // "" when marked by a version without cluster ids
	BIOSUUID     string // config.uuid: the guest's product_uuid
	IP           string
	Host         string // the ESXi host it runs on (name), "" when unknown
	Created      bool   // cloned by this run (false: adopted from an earlier run)
	PoweredOn    bool   // as last seen (ListClusterVMs, or ready after EnsureVMs)
}

// Step is where a VM is in the clone phase.
type Step string

// Steps reported through Event, in the order a new VM goes through them.
const (
	StepCloning     Step = "cloning"
	StepCustomizing Step = "customizing" // clone done; customization applies at power-on
	StepPoweringOn  Step = "powering-on"
	StepWaitingIP   Step = "waiting-ip"
	StepReady       Step = "ready"
	StepFailed      Step = "failed"
	StepAdopting    Step = "adopting"    // an earlier run's VM is reused
	StepRetrying    Step = "retrying"    // a transient fault; Err says which
	StepCleaningUp  Step = "cleaning-up" // power off + destroy of a VM this run made
	StepDestroyed   Step = "destroyed"
)

// Event is one progress report for one VM. Handlers are called from many
// goroutines and must not block.
type Event struct {
	VM      string
	Step    Step
	Elapsed time.Duration // since this VM's work started
	IP      string        // set with StepReady
	Attempt int           // set with StepRetrying
	Err     error         // set with StepFailed and StepRetrying
}
