// Command compare runs the Linkage benchmarks of two commits side by side in
// one run on one machine, so a change is judged against its baseline under
// the same load: `make bench-compare BASE=main~1 BENCH='Search$|Writes'`.
//
// It builds the benchmark test binary of the working tree and of BASE (from
// a temporary git worktree), runs them in turn (base, head, base, head, ...:
// interleaved, because a shared host drifts during a session) and prints
// every summary figure with one column per run.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
)

func main() {
	base := flag.String("base", "HEAD~1", "the commit to compare the working tree with")
	bench := flag.String("bench", ".", "benchmarks to run (a go test -bench regular expression)")
	rounds := flag.Int("rounds", 2, "how many times each side runs, interleaved")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *base, *bench, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "bench-compare:", err)
		os.Exit(1)
	}
}

// side is one commit under test.
type side struct {
	name, binary string
	dir          string              // the benchmark package's folder in this side's tree
	runs         []map[string]string // per round: figure key → value
}

func run(ctx context.Context, out io.Writer, base, bench string, rounds int) error {
	if rounds < 1 {
		return errors.New("-rounds must be at least 1")
	}
	tmp, err := os.MkdirTemp("", "linkage-bench-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	tree := filepath.Join(tmp, "base")
	if err := command(ctx, "", "git", "worktree", "add", "--detach", tree, base).Run(); err != nil {
		return fmt.Errorf("check out %s: %w", base, err)
	}
	defer command(context.Background(), "", "git", "worktree", "remove", "--force", tree).Run()
	sides := []*side{
		{name: "base " + base, binary: filepath.Join(tmp, "base.test"), dir: filepath.Join(tree, "internal", "benchmark")},
		{name: "head", binary: filepath.Join(tmp, "head.test"), dir: filepath.Join("internal", "benchmark")},
	}
	for _, s := range sides {
		if err := command(ctx, filepath.Dir(filepath.Dir(s.dir)), "go", "test", "-c", "-o", s.binary, "./internal/benchmark/").Run(); err != nil {
			return fmt.Errorf("build the benchmarks of %s: %w", s.name, err)
		}
	}
	var order []string // figure keys in first-seen order
	for r := 0; r < rounds; r++ {
		for _, s := range sides {
			fmt.Fprintf(os.Stderr, "bench-compare: round %d of %d, %s\n", r+1, rounds, s.name)
			figures, keys, err := runOnce(ctx, s, bench)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			s.runs = append(s.runs, figures)
			for _, k := range keys {
				if !slices.Contains(order, k) {
					order = append(order, k)
				}
			}
		}
	}
	return printTable(out, sides, order)
}

// runOnce runs one benchmark binary and returns its summary figures. The
// binary runs in the benchmark package's folder, where its testdata is.
func runOnce(ctx context.Context, s *side, bench string) (map[string]string, []string, error) {
	var buf bytes.Buffer
	cmd := command(ctx, s.dir, s.binary, "-test.run", "^$", "-test.bench", bench, "-test.benchtime", "1x", "-test.timeout", "80m")
	cmd.Stdout = io.MultiWriter(&buf, os.Stderr)
	if err := cmd.Run(); err != nil {
		return nil, nil, err
	}
	figures, keys := parseSummary(buf.Bytes())
	if len(keys) == 0 {
		return nil, nil, errors.New("the run printed no summary figures: does -bench match any benchmark?")
	}
	return figures, keys, nil
}

// columns splits a summary line: its columns are separated by two or more
// spaces (text/tabwriter padding), and values hold single spaces.
var columns = regexp.MustCompile(`\s{2,}`)

// parseSummary reads the "Linkage benchmark summary" table a run prints
// at its end: figure, dialect, services, value.
func parseSummary(b []byte) (map[string]string, []string) {
	figures := map[string]string{}
	var keys []string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " ")
		switch {
		case strings.HasPrefix(line, "Linkage benchmark summary"):
			in = true
			continue
		case !in || line == "" || strings.HasPrefix(line, "figure") || strings.HasPrefix(line, "------"):
			continue
		}
		f := columns.Split(line, 4)
		if len(f) != 4 {
			continue
		}
		k := f[0] + "\t" + f[1] + "\t" + f[2]
		if _, seen := figures[k]; !seen {
			keys = append(keys, k)
		}
		figures[k] = f[3]
	}
	return figures, keys
}

func printTable(w io.Writer, sides []*side, order []string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "figure\tdialect\tservices"
	for r := range sides[0].runs {
		for _, s := range sides {
			head += fmt.Sprintf("\t%s #%d", s.name, r+1)
		}
	}
	fmt.Fprintln(tw, head)
	for _, k := range order {
		line := k
		for r := range sides[0].runs {
			for _, s := range sides {
				v := s.runs[r][k]
				if v == "" {
					v = "—"
				}
				line += "\t" + v
			}
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func command(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd
}
