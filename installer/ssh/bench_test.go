package ssh

import (
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkUpload1GiB uploads a 1 GiB file to a local sshd with our client
// and with OpenSSH scp, in the same run (three alternating rounds each),
// and reports both rates and ours/scp (target >= 1.0). The content is a repeated 1 MiB random block:
// incompressible, not sparse.
func BenchmarkUpload1GiB(b *testing.B) {
	f := needFixture(b)
	if _, err := exec.LookPath("scp"); err != nil {
		b.Skip("scp not installed (openssh-client)")
	}
	const size = 1 << 30
	local := filepath.Join(b.TempDir(), "payload-1g.bin")
	block := make([]byte, 1<<20)
	rand.Read(block)
	out, err := os.Create(local)
	if err != nil {
		b.Fatal(err)
	}
	for range size / len(block) {
		if _, err := out.Write(block); err != nil {
			b.Fatal(err)
		}
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
	s := startSSHD(b, sshdOptions{})
	cfg := s.config(b)
	c := dialT(b, cfg)
	dir := f.userDir(b)

	uploadOurs := func(remote string) time.Duration {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		start := time.Now()
		if _, err := c.Upload(ctx, local, remote, 0o644, UploadOptions{}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	uploadSCP := func(remote string) time.Duration {
		cmd := exec.Command("scp", "-q", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
			"-o", "UserKnownHostsFile="+cfg.KnownHostsFile, "-i", f.keyFile, "-P", strconv.Itoa(s.port),
			local, testUser+"@127.0.0.1:"+remote)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("scp: %v: %s", err, out)
		}
		return time.Since(start)
	}

	// Rounds alternate which tool goes first, so a burst of load from
	// other processes on a shared machine does not favour one of them.
	const rounds = 3
	var ours, scp time.Duration
	b.ResetTimer()
	for i := 0; i < b.N*rounds; i++ {
		oursPath := filepath.Join(dir, "ours-"+strconv.Itoa(i))
		scpPath := filepath.Join(dir, "scp-"+strconv.Itoa(i))
		if i%2 == 0 {
			ours += uploadOurs(oursPath)
			scp += uploadSCP(scpPath)
		} else {
			scp += uploadSCP(scpPath)
			ours += uploadOurs(oursPath)
		}
		os.Remove(oursPath)
		os.Remove(scpPath)
	}
	b.StopTimer()
	mb := float64(size) / 1e6 * float64(b.N*rounds)
	b.ReportMetric(mb/ours.Seconds(), "ours-MB/s")
	b.ReportMetric(mb/scp.Seconds(), "scp-MB/s")
	b.ReportMetric(scp.Seconds()/ours.Seconds(), "ours/scp")
}
