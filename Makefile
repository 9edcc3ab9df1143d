# dcos-vsphere: see README.md. Every target works on a fresh machine after
# `make deps` (which .ci/run and `make demo` call for you).
GO        ?= go
BIN       := bin/dcos-vsphere
PKGS      := ./...
# Bounded fuzzing in `make test`; raise for a longer local soak.
FUZZTIME  ?= 20s
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: all build test unit lint fuzz bench chaos demo deps clean

all: build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/dcos-vsphere

# deps installs the Debian packages the lab and the tests use (root only;
# skipped when they are all present already).
deps:
	@./scripts/deps.sh

# test = everything CI runs: lint, unit + lab tests, bounded fuzzing.
test: deps lint unit fuzz

unit:
	$(GO) test -count=1 -timeout 20m $(PKGS)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./config

# -p 1: one package's benchmarks at a time, so they do not compete for the cores
bench: deps build
	$(GO) test -p 1 -run '^$$' -bench . -benchtime 1x -timeout 60m $(PKGS)

# chaos: the resume sweep of the e2e suite with 60 kill -9 points (make
# test runs 12), plus its Ctrl-C and SIGHUP passes; root.
chaos: deps
	DCOS_VSPHERE_CHAOS_POINTS=60 $(GO) test -count=1 -timeout 90m -run '^TestChaosResumeFromAnyPoint$$' -v ./e2e

demo: deps build
	./scripts/demo.sh

clean:
	rm -rf bin
