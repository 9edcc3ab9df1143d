// Package ovftest writes a tiny CentOS-7-like OVF package (descriptor plus a
// small vmdk of zeros) for tests and the lab, so no binary image is
// committed. vcsim discards uploaded disk bytes, so zeros are enough.
package ovftest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"text/template"
)

// Spec describes the generated appliance.
type Spec struct {
	Name      string // VirtualSystem name and file prefix; default centos7-tiny
	CPUs      int    // default 2
	MemoryMB  int    // default 2048
	DiskBytes int    // bytes of zeros in the vmdk; default 4096
	// DiskCapacityGB is the virtual disk size the OVF declares; default 1.
	DiskCapacityGB int
	Network        string // OVF network name; default "VM Network"
}

func (s Spec) withDefaults() Spec {
	if s.Name == "" {
		s.Name = "centos7-tiny"
	}
	if s.CPUs == 0 {
		s.CPUs = 2
	}
	if s.MemoryMB == 0 {
		s.MemoryMB = 2048
	}
	if s.DiskBytes == 0 {
		s.DiskBytes = 4096
	}
	if s.DiskCapacityGB == 0 {
		s.DiskCapacityGB = 1
	}
	if s.Network == "" {
		s.Network = "VM Network"
	}
	return s
}

// DiskFile is the name of the vmdk inside the package.
func (s Spec) DiskFile() string { return s.withDefaults().Name + "-disk1.vmdk" }

// Descriptor returns the OVF XML for s.
func Descriptor(s Spec) ([]byte, error) {
	s = s.withDefaults()
	var b bytes.Buffer
	err := descriptorTmpl.Execute(&b, struct {
		Spec
		Disk      string
		DiskBytes int
	}{s, s.DiskFile(), s.DiskBytes})
	return b.Bytes(), err
}

// WriteOVF writes NAME.ovf and its vmdk into dir and returns the .ovf path.
func WriteOVF(dir string, s Spec) (string, error) {
	s = s.withDefaults()
	desc, err := Descriptor(s)
	if err != nil {
		return "", err
	}
	ovfPath := filepath.Join(dir, s.Name+".ovf")
	if err := os.WriteFile(ovfPath, desc, 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", ovfPath, err)
	}
	disk := filepath.Join(dir, s.DiskFile())
	if err := os.WriteFile(disk, make([]byte, s.DiskBytes), 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", disk, err)
	}
	return ovfPath, nil
}

// WriteOVA writes NAME.ova (a tar with the .ovf first, as the OVF standard
// asks) into dir and returns its path.
func WriteOVA(dir string, s Spec) (string, error) {
	s = s.withDefaults()
	desc, err := Descriptor(s)
	if err != nil {
		return "", err
	}
	ovaPath := filepath.Join(dir, s.Name+".ova")
	f, err := os.Create(ovaPath)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", ovaPath, err)
	}
	tw := tar.NewWriter(f)
	entries := []struct {
		name string
		data []byte
	}{{s.Name + ".ovf", desc}, {s.DiskFile(), make([]byte, s.DiskBytes)}}
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data))}); err != nil {
			f.Close()
			return "", fmt.Errorf("write %s into %s: %w", e.name, ovaPath, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			f.Close()
			return "", fmt.Errorf("write %s into %s: %w", e.name, ovaPath, err)
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return "", fmt.Errorf("finish %s: %w", ovaPath, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("close %s: %w", ovaPath, err)
	}
	return ovaPath, nil
}

var descriptorTmpl = template.Must(template.New("ovf").Parse(`<?xml version="1.0" encoding="UTF-8"?>
<Envelope vmw:buildId="build-1" xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
    <File ovf:href="{{.Disk}}" ovf:id="file1" ovf:size="{{.DiskBytes}}"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="{{.DiskCapacityGB}}" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" ovf:populatedSize="0"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="{{.Network}}">
      <Description>The {{.Network}} network</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id="{{.Name}}">
    <Info>A CentOS 7 stand-in virtual machine</Info>
    <Name>{{.Name}}</Name>
    <OperatingSystemSection ovf:id="107" vmw:osType="centos7_64Guest">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>{{.Name}}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:Description>Number of Virtual CPUs</rasd:Description>
        <rasd:ElementName>{{.CPUs}} virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>{{.CPUs}}</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:Description>Memory Size</rasd:Description>
        <rasd:ElementName>{{.MemoryMB}}MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>{{.MemoryMB}}</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Description>SCSI Controller</rasd:Description>
        <rasd:ElementName>SCSI controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>7</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>{{.Network}}</rasd:Connection>
        <rasd:Description>VmxNet3 ethernet adapter on "{{.Network}}"</rasd:Description>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`))
