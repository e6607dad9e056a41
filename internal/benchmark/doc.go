// Package benchmark holds only benchmarks: the figures Linkage publishes
// in docs/benchmarks.md (import rate of synthetic directories, and the
// latency of GET /services and GET /services/{id} through the real HTTP
// stack), on SQLite and on PostgreSQL. It has no non-test code; run it with
//
//	make bench   # go test -run '^$' -bench . -benchtime 1x -timeout 80m ./internal/benchmark/
//
// LINKAGE_BENCH_SIZES (default "10000,100000") sets the directory sizes,
// LINKAGE_BENCH_REQUESTS (default 2000) the requests per latency figure.
// A plain `go test ./...` runs nothing here.
package benchmark
