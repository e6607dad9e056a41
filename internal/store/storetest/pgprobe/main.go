// Command pgprobe runs before `make test`: it asks the PostgreSQL test
// server (LINKAGE_TEST_POSTGRES_URL, as the tests do) whether it answers
// and says what the PostgreSQL tests will do. `go test ./...` shows the
// output of failing packages only, so the tests' own line about skipping
// is never seen; this one is. Unreachable, it exits 0 (the tests skip),
// or 1 under CI=true, where they would fail after minutes anyway.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := storetest.Ping(ctx)
	switch {
	case err == nil:
		fmt.Printf("PostgreSQL tests: on, against %s\n", storetest.Redacted())
	case os.Getenv("CI") == "true":
		fmt.Fprintf(os.Stderr, "PostgreSQL is required when CI=true: no server at %s (%v)\n", storetest.Redacted(), err)
		os.Exit(1)
	default:
		fmt.Fprintf(os.Stderr, "\n%s\n\n", storetest.SkippedLine(err))
	}
}
