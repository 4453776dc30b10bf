# heady-metrics. `make run` starts the exporter on demo data; `make test` runs
# the whole suite (what CI runs). See README.md.

SHELL     := /bin/bash
GO        ?= go
PKGS      ?= ./...
BIN       := bin/heady-exporter
PKG       := github.com/prometheus/common/version
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
REVISION  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BRANCH    := $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -X $(PKG).Version=$(VERSION) -X $(PKG).Revision=$(REVISION) -X $(PKG).Branch=$(BRANCH) \
             -X $(PKG).BuildUser=heady-metrics -X $(PKG).BuildDate=$(shell date -u +%Y%m%d-%H:%M:%S)
DEMO_DIR  ?= demo
LISTEN    ?= :9877

.PHONY: all build run demo test test-deps lint generate check-generated slo-rules fuzz bench soak clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/heady-exporter

# Writes a fresh demo data set ending now, then serves it.
demo: build
	$(BIN) demo --out=$(DEMO_DIR) --web.listen-address=$(LISTEN)

run: demo
	@echo
	@echo "heady-exporter is starting on http://localhost$(LISTEN)/ (metrics: http://localhost$(LISTEN)/metrics). Ctrl-C stops it."
	@echo
	$(BIN) --config.file=$(DEMO_DIR)/config.yml --web.listen-address=$(LISTEN)

# Installs the Debian packages the tests run for real (promtool, amtool,
# prometheus, alertmanager) when they are missing.
test-deps:
	./scripts/test-deps.sh

# gofmt, go vet (both test tiers) and golangci-lint (.golangci.yml), the
# version scripts/test-deps.sh builds.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags integration ./...
	@eval "$$(./scripts/test-deps.sh --print-env)"; \
		if [ ! -x "$$HEADY_GOLANGCI_LINT_BIN" ]; then echo "$$HEADY_GOLANGCI_LINT_BIN missing: run scripts/test-deps.sh (make test-deps)"; exit 1; fi; \
		echo "$$HEADY_GOLANGCI_LINT_BIN run ./..."; "$$HEADY_GOLANGCI_LINT_BIN" run ./...

generate:
	$(GO) run ./cmd/heady-gen -out .

# Regenerates every generated file and fails when a committed one differs.
# The SLO rules Sloth generates from the spec heady-gen writes
# (alerts/slo/); the integration tests fail when they are out of date.
slo-rules: generate test-deps
	eval "$$(./scripts/test-deps.sh --print-env)"; \
		"$$HEADY_SLOTH_BIN" generate --no-log -i alerts/slo/heady-slos.sloth.yml -o alerts/slo/heady-slos.rules.yml

check-generated: generate
	@git diff --exit-code --stat -- dashboards alerts provisioning docs charts || \
		(echo "generated files are out of date: run 'make generate' and commit"; exit 1)
	@untracked=$$(git ls-files --others --exclude-standard -- dashboards alerts provisioning docs charts); \
		if [ -n "$$untracked" ]; then echo "generated files not committed: $$untracked"; exit 1; fi

# Tests that run external binaries (Prometheus, Alertmanager, Chromium, helm,
# sloth, the upstream promtool and amtool) or run for minutes carry the build
# tag `integration`: plain `go test ./...` runs the fast tier only; `make test`
# (CI) always runs both, with the upstream tools' paths from test-deps.sh.
test: test-deps lint check-generated
	@mkdir -p .cache
	set -o pipefail; eval "$$(./scripts/test-deps.sh --print-env)"; \
		$(GO) test -race -count=1 -timeout 25m -tags integration $(PKGS) 2>&1 | tee .cache/go-test.log
	./scripts/fuzz.sh
	@echo "packages: $$(grep -c '^ok' .cache/go-test.log) passed, $$(grep -c '^FAIL' .cache/go-test.log) failed"

# Every Go fuzz target for FUZZTIME each (default 15s; a few minutes in all).
# A crash leaves its input under the package's testdata/fuzz/: fix and commit.
fuzz:
	./scripts/fuzz.sh

bench:
	./scripts/bench.sh

# Load and soak (not in `make test`): the real binary under ingest, scrapes,
# rotation and kill -9 for SOAK_MINUTES (default 10); writes bench/soak.md.
soak:
	./scripts/soak.sh

clean:
	rm -rf bin $(DEMO_DIR)
