package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/lab/dcos19"
)

// installerServer serves Dir/dcos_generate_config.sh — and nothing else
// of Dir, which holds the lab's key and password — on the gateway address,
// so the lab's bootstrap node can download it like a real installer URL.
type installerServer struct {
	srv *http.Server
	url string
}

func serveInstaller(o Options) (*installerServer, error) {
	write := o.WriteInstaller
	if write == nil {
		write = dcos19.WriteInstaller
	}
	path := filepath.Join(o.Dir, installerFileName)
	if err := write(path); err != nil {
		return nil, fmt.Errorf("write DC/OS stand-in installer %s: %w", path, err)
	}
	addr := netip.AddrPortFrom(o.gateway(), uint16(o.InstallerPort)).String()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve DC/OS installer on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/"+installerFileName, func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, path)
	})
	s := &installerServer{
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		url: "http://" + net.JoinHostPort(o.gateway().String(), strconv.Itoa(o.InstallerPort)) + "/" + installerFileName,
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(o.Log, "lab: installer server stopped: %v\n", err)
		}
	}()
	return s, nil
}

func (s *installerServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}
