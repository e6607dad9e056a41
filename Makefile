# Linkage: `make run` serves the demo directory on SQLite; `make test` runs every test.
GO      ?= go
BIN     := bin/linkage
# -race needs cgo; `make test-race` uses it where a C compiler is present. It is not part of
# `make test`: with every search test building a real Bleve index the race build takes over
# 8 minutes on 2 cores, against the 10-minute budget.
RACE    := $(shell command -v gcc >/dev/null 2>&1 && echo -race)
N       ?= 10000
SEED    ?= 1
# `make image` tags the container image with the commit; `make image IMAGE=registry/linkage:1.2.3`
# names it for a registry (then set the same tag in deploy/k8s/kustomization.yaml).
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
IMAGE   ?= linkage:$(VERSION)
DOCKER  ?= docker

.PHONY: run build image test test-race pgprobe bench bench-compare lint migrate seed reindex openapi clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=auto -o $(BIN) ./cmd/linkage

# exec: the server replaces the shell, so make's SIGTERM (and Ctrl-C) reaches it and the port is freed.
run: build
	LINKAGE_DEMO=true exec ./$(BIN) serve

image:
	$(DOCKER) build -f deploy/Dockerfile --build-arg VERSION=$(VERSION) -t $(IMAGE) .

# go test ./... hides the output of passing packages, so pgprobe says first whether the PostgreSQL
# tests will run (LINKAGE_TEST_POSTGRES_URL) or skip; under CI=true an unreachable server fails here.
test: pgprobe
	$(GO) test -count=1 -timeout 9m ./...

test-race: pgprobe
	$(GO) test $(RACE) -count=1 -timeout 20m ./...

pgprobe:
	@$(GO) run ./internal/store/storetest/pgprobe

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 80m ./internal/benchmark/

# The benchmarks of BASE and of the working tree, interleaved in one run:
# make bench-compare BASE=main~1 BENCH='Search$$|Referrals|Writes' ROUNDS=2
bench-compare:
	$(GO) run ./internal/benchmark/compare -base '$(or $(BASE),HEAD~1)' -bench '$(or $(value BENCH),.)' -rounds $(or $(ROUNDS),2)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

migrate: build
	./$(BIN) migrate

seed: build
	./$(BIN) seed synthetic --services $(N) --seed $(SEED)

reindex: build
	./$(BIN) reindex

openapi:
	$(GO) test -count=1 ./openapi/

clean:
	rm -rf bin data
