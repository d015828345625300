# tc — tcd (daemon) and tcctl (CLI)
#   make run    build and start tcd on the embedded SQLite database
#   make test   everything CI runs: vet, gofmt check, race tests on SQLite and PostgreSQL (and a real Alertmanager)

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/opentc/tc/internal/version.Version=$(VERSION)
export CGO_ENABLED = 1

.PHONY: all build run test test-short vet fmt postgres alertmanager clean bench fuzz tcbench

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/tcd ./cmd/tcd
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/tcctl ./cmd/tcctl

run: build
	./bin/tcd $(ARGS)

## test: vet, formatting, then every test with the race detector against SQLite and PostgreSQL.
test: postgres alertmanager vet
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) test -race -count=1 -timeout 20m ./...

## test-short: quick run without the race detector.
test-short:
	$(GO) test -count=1 ./...

## bench: Go benchmarks with allocations (token verification, heartbeat decode and ingest, rendering, store writes).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

## fuzz: run every fuzz target for FUZZTIME each (their seed corpora also run in `make test`).
FUZZTIME ?= 30s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## tcbench: build the load tool (see docs/performance.md).
tcbench:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/tcbench ./cmd/tcbench

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## postgres: make sure the PostgreSQL the tests need is installed and running.
postgres:
	@./.ci/postgres

## alertmanager: make sure the Prometheus Alertmanager the notification tests start is installed.
alertmanager:
	@./.ci/alertmanager

clean:
	rm -rf bin
