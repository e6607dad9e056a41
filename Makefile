# Linkage: `make run` serves the demo directory on SQLite; `make test` runs every test.
GO      ?= go
BIN     := bin/linkage
# -race needs cgo; `make test-race` uses it where a C compiler is present. It is not part of
# `make test`: with every search test building a real Bleve index the race build takes over
# 8 minutes on 2 cores, against the 10-minute budget.
RACE    := $(shell command -v gcc >/dev/null 2>&1 && echo -race)
N       ?= 10000
SEED    ?= 1

.PHONY: run build test test-race bench lint migrate seed reindex openapi clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=auto -o $(BIN) ./cmd/linkage

run: build
	LINKAGE_DEMO=true ./$(BIN) serve

test:
	$(GO) test -count=1 -timeout 9m ./...

test-race:
	$(GO) test $(RACE) -count=1 -timeout 20m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 80m ./internal/benchmark/

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
