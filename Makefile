# scr: build, test and demo. Every target but `deps` first makes sure the Debian
# packages it needs are there.

GO      ?= go
BIN     ?= bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)

# pcscd and vpcd for the PC/SC tests, libpcsclite-dev for cgo, OpenSC as an
# independent PIV implementation to check our card against, tmux for end-to-end,
# groff-base to check the man page.
DEB_PACKAGES := pcscd libpcsclite-dev vsmartcard-vpcd opensc pcsc-tools tmux groff-base

# Fuzz targets run briefly in `make test` (a count, not a duration: a timed run
# can end in a spurious "context deadline exceeded" on a loaded machine); run one
# longer with
#   go test -run '^$$' -fuzz '^FuzzParseTLV$$' ./smartcard
FUZZTIME ?= 100000x
# A target may set its own count after @, for those whose inputs are slow to parse.
FUZZ_TARGETS := ./smartcard:FuzzParseTLV ./smartcard:FuzzParseResponse \
	./smartcard:FuzzParseCommand ./smartcard:FuzzCertObject ./smartcard/virtual:FuzzTransmit \
	./internal/safetext:FuzzLine ./client:FuzzParsePatient@20000x ./client:FuzzParseSummary@3000x \
	./client:FuzzDisplayDates@50000x ./ui:FuzzSummaryWrap@20000x

.PHONY: deps build test fuzz demo bench lint clean dist

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "deps: not a Debian system; install the equivalents of: $$missing" >&2; exit 0; fi; \
	sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	echo "deps: installing $$missing"; \
	$$sudo apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing

build: deps
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

test: deps lint
	$(GO) test -race -count=1 ./...
	@$(MAKE) --no-print-directory fuzz

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; n=$(FUZZTIME); \
		case $$name in *@*) n=$${name##*@}; name=$${name%@*};; esac; \
		echo "fuzz $$name ($$n)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $$n $$pkg || exit 1; \
	done

# The viewer against the sandbox and the demo card, both in-process: no reader,
# no pcscd, no root. It needs deps all the same, for libpcsclite-dev: cgo builds
# the PC/SC binding (github.com/ebfe/scard) into every scr binary.
demo: deps
	$(GO) run ./cmd/scr --demo

# The raw go test output goes to bench.out (compare two runs with
# `benchstat old.out new.out`); the table at the end is internal/benchtable's,
# from it. The end-to-end rows (cmd/scr) start real processes: one journey or
# start per iteration, a fixed number of them.
BENCH_COUNT ?= 6
bench: SHELL := /bin/bash
bench: .SHELLFLAGS := -o pipefail -c
bench: deps
	@rm -f bench.out
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) ./smartcard/... ./internal/sandbox/... ./client/... ./ui/... | tee -a bench.out
	$(GO) test -run '^$$' -bench 'StartToFirstFrame|CardToPasscode' -benchtime 10x -count 3 ./cmd/scr | tee -a bench.out
	$(GO) test -run '^$$' -bench . -skip 'StartToFirstFrame|CardToPasscode' -benchtime 1x -count 3 ./cmd/scr | tee -a bench.out
	@echo
	@$(GO) run ./internal/benchtable bench.out

# Release builds of scr into dist/, each stamped with VERSION, COMMIT and DATE
# (scr --version prints them), with SHA256SUMS. Linux needs cgo for PC/SC (the
# binary needs libpcsclite1 at run time); Windows needs none (winscard.dll is
# called directly). macOS is built the same way on a Mac, with cgo:
#   make dist DIST_TARGETS=darwin/arm64
DIST_TARGETS ?= linux/amd64 windows/amd64 windows/arm64

dist: deps
	@rm -rf dist && mkdir -p dist
	@set -e; for t in $(DIST_TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; ext=; cgo=1; \
		if [ $$os = windows ]; then ext=.exe; cgo=0; fi; \
		out=dist/scr_$(VERSION)_$${os}_$${arch}$$ext; \
		echo "dist: $$out"; \
		CGO_ENABLED=$$cgo GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $$out ./cmd/scr; \
	done
	@cd dist && if command -v sha256sum >/dev/null; then sha256sum scr_*; else shasum -a 256 scr_*; fi > SHA256SUMS
	@cat dist/SHA256SUMS

lint:
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

clean:
	rm -rf $(BIN)
