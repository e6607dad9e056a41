package benchmark_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/search"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/seed"
)

// judgments is the evaluation set: caseworker-style queries on the demo
// data, judged by hand before search was tuned (testdata/relevance.json).
type judgments struct {
	Queries []struct {
		ID       string `json:"id"`
		Query    string `json:"query"`
		Relevant []struct {
			ServiceID string `json:"service_id"`
			Grade     int    `json:"grade"`
		} `json:"relevant"`
	} `json:"queries"`
}

// ftsBaselineSQL builds the PostgreSQL full-text baseline the way the
// Ohana API searched: one tsvector per service_at_location over the service
// name, description and taxonomy term names (with their parents), GIN
// indexed, plus the columns the speed benchmark filters on.
const ftsBaselineSQL = `
DROP TABLE IF EXISTS bench_fts;
CREATE TABLE bench_fts AS
SELECT sal.id AS sal_id, s.id AS service_id, s.status,
  to_tsvector('english', s.name || ' ' || coalesce(s.description, '') || ' ' || coalesce((
    SELECT string_agg(t.name || ' ' || coalesce(p.name, ''), ' ')
    FROM attributes a JOIN taxonomy_terms t ON t.id = a.taxonomy_term_id
    LEFT JOIN taxonomy_terms p ON p.id = t.parent_id
    WHERE a.link_id = s.id), '')) AS doc,
  l.latitude AS lat, l.longitude AS lon,
  ARRAY(SELECT DISTINCT code FROM (
      SELECT lower(code) AS code FROM languages WHERE service_id = s.id OR location_id = l.id
      UNION SELECT lower(lg.code) FROM phones ph JOIN languages lg ON lg.phone_id = ph.id WHERE ph.service_id = s.id OR ph.location_id = l.id) x
    WHERE code IS NOT NULL) AS languages,
  ARRAY(SELECT DISTINCT upper(coalesce(p.code, t.code)) FROM attributes a JOIN taxonomy_terms t ON t.id = a.taxonomy_term_id
    LEFT JOIN taxonomy_terms p ON p.id = t.parent_id WHERE a.link_id = s.id AND coalesce(p.code, t.code) IS NOT NULL) AS categories
FROM service_at_locations sal
JOIN services s ON s.id = sal.service_id
JOIN locations l ON l.id = sal.location_id;
CREATE INDEX bench_fts_doc_idx ON bench_fts USING GIN (doc);
CREATE INDEX bench_fts_geo_idx ON bench_fts (lat, lon);
CREATE INDEX bench_fts_categories_idx ON bench_fts USING GIN (categories);`

// buildBaseline makes the baseline table, vacuumed and analysed (VACUUM
// cannot run in the statements' implicit transaction).
func buildBaseline(ctx context.Context, b *testing.B, db *sql.DB) {
	b.Helper()
	for _, stmt := range []string{ftsBaselineSQL, "VACUUM ANALYZE bench_fts"} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			b.Fatalf("baseline table: %v", err)
		}
	}
}

// BenchmarkRelevance prints nDCG@10 and recall@10 of our search and of the
// PostgreSQL full-text baseline (websearch_to_tsquery, ts_rank order), on
// the demo data, over every judged query. Both rank services: a service at
// several locations counts once, at its best place. Inactive services are
// left out by both, as caseworkers cannot refer to them.
func BenchmarkRelevance(b *testing.B) {
	ctx := context.Background()
	raw, err := os.ReadFile("testdata/relevance.json")
	if err != nil {
		b.Fatal(err)
	}
	var set judgments
	if err := json.Unmarshal(raw, &set); err != nil {
		b.Fatal(err)
	}
	bench.requirePostgres(b)
	d := bench.newDatabase(b, store.Postgres)
	defer bench.drop(d)
	for _, name := range seed.DemoFiles {
		if _, err := importer.ImportFS(ctx, d.st, seed.Demo(), name, importer.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	buildBaseline(ctx, b, d.st.DB())
	sy := indexsynctest.Ready(b, d.st, indexsync.Options{})
	systems := []struct {
		name string
		top  func(q string) ([]string, error)
	}{
		{"linkage", func(q string) ([]string, error) {
			res, err := sy.Search(ctx, search.Query{Text: q, Size: 100, Facets: false})
			if err != nil {
				return nil, err
			}
			var ids []string
			for _, h := range res.Hits {
				ids = append(ids, h.ServiceID)
			}
			return firstDistinct(ids, 10), nil
		}},
		{"postgres-fts", func(q string) ([]string, error) { return ftsTop(ctx, d.st.DB(), q) }},
	}
	b.ResetTimer()
	scores := map[string][2]float64{}
	for _, sys := range systems {
		var ndcgSum, recallSum float64
		for _, q := range set.Queries {
			top, err := sys.top(q.Query)
			if err != nil {
				b.Fatalf("%s %q: %v", sys.name, q.Query, err)
			}
			grades := map[string]int{}
			var ideal []int
			for _, r := range q.Relevant {
				grades[r.ServiceID] = r.Grade
				ideal = append(ideal, r.Grade)
			}
			n, r := ndcg(top, grades, ideal), recall(top, grades)
			ndcgSum += n
			recallSum += r
			if os.Getenv("LINKAGE_BENCH_VERBOSE") != "" {
				fmt.Printf("%-13s %-28s nDCG %.2f recall %.2f\n", sys.name, q.ID, n, r)
			}
		}
		nq := float64(len(set.Queries))
		scores[sys.name] = [2]float64{ndcgSum / nq, recallSum / nq}
		b.ReportMetric(ndcgSum/nq, sys.name+"-nDCG@10")
		b.ReportMetric(recallSum/nq, sys.name+"-recall@10")
		bench.record(b, "nDCG@10 ("+sys.name+")", "postgres", 261, fmt.Sprintf("%.3f", ndcgSum/nq))
		bench.record(b, "recall@10 ("+sys.name+")", "postgres", 261, fmt.Sprintf("%.3f", recallSum/nq))
	}
	b.ReportMetric(0, "ns/op")
	ours, base := scores["linkage"], scores["postgres-fts"]
	if ours[0] <= base[0] || ours[1] <= base[1] {
		b.Errorf("our search does not beat the full-text baseline: nDCG %.3f vs %.3f, recall %.3f vs %.3f", ours[0], base[0], ours[1], base[1])
	}
}

// ftsTop is the baseline's best ten services for q.
func ftsTop(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, `
SELECT service_id FROM bench_fts, websearch_to_tsquery('english', $1) q
WHERE doc @@ q AND status = 'active'
GROUP BY service_id ORDER BY max(ts_rank(doc, q)) DESC, service_id LIMIT 10`, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func firstDistinct(ids []string, n int) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// ndcg is the normalised discounted cumulative gain of the ranking top with
// graded judgments (gain 2^grade - 1).
func ndcg(top []string, grades map[string]int, ideal []int) float64 {
	dcg := 0.0
	for i, id := range top {
		dcg += (math.Pow(2, float64(grades[id])) - 1) / math.Log2(float64(i+2))
	}
	slices.SortFunc(ideal, func(a, b int) int { return b - a })
	idcg := 0.0
	for i, g := range ideal {
		if i == 10 {
			break
		}
		idcg += (math.Pow(2, float64(g)) - 1) / math.Log2(float64(i+2))
	}
	if idcg == 0 {
		return 0
	}
	return dcg / idcg
}

// recall is the share of the relevant services found in top.
func recall(top []string, grades map[string]int) float64 {
	found := 0
	for _, id := range top {
		if grades[id] > 0 {
			found++
		}
	}
	return float64(found) / float64(len(grades))
}
