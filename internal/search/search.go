package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/linkage-org/linkage/internal/hsds"
)

// Searcher runs queries on an index with the synonym list.
type Searcher struct {
	ix       *Index
	syn      *Synonyms
	an       analysis.Analyzer
	areas    *areaCache
	bitmaps  *bitmaps
	coords   *columns[*segPoints]
	facetCol *columns[*segFacets]
	postings *postings
	stems    stemCache
	circles  circles
}

// NewSearcher pairs an index with synonyms (nil: none).
func NewSearcher(ix *Index, syn *Synonyms) (*Searcher, error) {
	an, err := englishAnalyzer()
	if err != nil {
		return nil, err
	}
	return &Searcher{ix: ix, syn: syn, an: an, areas: &areaCache{}, bitmaps: &bitmaps{}, coords: &columns[*segPoints]{build: decodePoints}, facetCol: &columns[*segFacets]{build: decodeFacets}, postings: &postings{}}, nil
}

// Index is the searcher's index.
func (s *Searcher) Index() *Index { return s.ix }

// Search runs q and returns one page.
func (s *Searcher) Search(ctx context.Context, q Query) (Result, error) {
	size := q.Size
	if size <= 0 {
		size = 50
	}
	return s.run(ctx, q, q.From, size, q.Facets)
}

// Values returns the distinct values of a stored field (service_id or
// organization_id) over the best limit hits, in result order: what the HSDS
// list endpoints page through when they search.
func (s *Searcher) Values(ctx context.Context, q Query, field string, limit int) ([]string, error) {
	res, err := s.run(ctx, q, 0, limit, false)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(res.Hits))
	var out []string
	for _, h := range res.Hits {
		var v string
		switch field {
		case FieldSAL:
			// Documents of services without a location are not
			// service_at_locations.
			if h.LocationID == "" {
				continue
			}
			v = h.ID
		case "service_id":
			v = h.ServiceID
		case "organization_id":
			v = h.OrganizationID
		default:
			return nil, fmt.Errorf("search: values of %q: not a stored field", field)
		}
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// addFacet files one value of the combined facet field ("c:BD", "l:es",
// "$:free") under its facet.
func addFacet(f *Facets, term string, n int) {
	kind, v, ok := strings.Cut(term, ":")
	if !ok {
		return
	}
	c := FacetCount{Value: v, Count: n}
	switch kind {
	case facetCategory:
		f.Category = append(f.Category, c)
	case facetLanguage:
		f.Language = append(f.Language, c)
	case facetCost:
		f.Cost = append(f.Cost, c)
	}
}

// sortFacets orders each facet by descending count, then value.
func sortFacets(f *Facets) {
	for _, l := range [][]FacetCount{f.Category, f.Language, f.Cost} {
		slices.SortFunc(l, func(a, b FacetCount) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Value, b.Value)
		})
	}
}

// EffectiveSort is the order a query gets when it names none.
func EffectiveSort(q Query) string {
	switch {
	case q.Sort != "":
		return q.Sort
	case strings.TrimSpace(q.Text) != "":
		return SortRelevance
	case q.Near != nil:
		return SortDistance
	default:
		return SortName
	}
}

func (s *Searcher) order(q Query) bsearch.SortOrder {
	// Equal values keep index order (Bleve breaks ties by hit number), so
	// no tie-breaker field is read per hit; ordering by score alone also
	// lets Bleve skip reading any field for hits that miss the page.
	switch EffectiveSort(q) {
	case SortDistance:
		if q.Near != nil {
			return bsearch.SortOrder{&bsearch.SortGeoDistance{Field: "geo", Lon: q.Near.Lon, Lat: q.Near.Lat, Unit: "m"}, &bsearch.SortScore{Desc: true}}
		}
	case SortName:
		return bsearch.SortOrder{&bsearch.SortField{Field: "name_sort", Type: bsearch.SortFieldAsString}}
	case SortUpdated:
		return bsearch.SortOrder{&bsearch.SortField{Field: "updated_k", Type: bsearch.SortFieldAsString, Desc: true}}
	}
	return bsearch.SortOrder{&bsearch.SortScore{Desc: true}}
}

// build turns q into its two Bleve queries: the scored text (nil without
// text) and the filters, which only filter.
func (s *Searcher) build(ctx context.Context, q Query) (scored, filter query.Query, err error) {
	text, err := s.textQuery(q.Text)
	if err != nil {
		return nil, nil, err
	}
	var filters []query.Query
	statuses := q.Statuses
	if len(statuses) == 0 {
		statuses = []string{hsds.StatusActive}
	}
	if !q.AnyStatus {
		filters = append(filters, anyTerm("status", statuses))
	}
	if q.UpdatedAfter != nil {
		filters = append(filters, updatedSince(*q.UpdatedAfter))
	}
	if len(q.TermIDs) > 0 {
		filters = append(filters, anyTerm("term_ids", q.TermIDs))
	}
	if len(q.Codes) > 0 {
		var qs []query.Query
		for _, c := range q.Codes {
			c = strings.ToUpper(c)
			if p, ok := strings.CutSuffix(c, "*"); ok {
				pq := bleve.NewPrefixQuery(p)
				pq.SetField("codes")
				qs = append(qs, pq)
			} else {
				qs = append(qs, termQ("codes", c))
			}
		}
		filters = append(filters, bleve.NewDisjunctionQuery(qs...))
	}
	if q.TaxonomyID != "" {
		filters = append(filters, termQ("taxonomy_ids", q.TaxonomyID))
	}
	if q.OrganizationID != "" {
		filters = append(filters, termQ("organization_id", q.OrganizationID))
	}
	if len(q.Categories) > 0 {
		filters = append(filters, anyTerm("categories", upper(q.Categories)))
	}
	if len(q.Languages) > 0 {
		filters = append(filters, anyTerm("languages", q.Languages))
	}
	if q.Cost != "" {
		filters = append(filters, termQ("cost", q.Cost))
	}
	if q.Age != nil {
		a := ageKey(*q.Age)
		yes := true
		minQ := bleve.NewTermRangeInclusiveQuery("", a, nil, &yes)
		minQ.SetField("min_age_k")
		maxQ := bleve.NewTermRangeInclusiveQuery(a, "", &yes, nil)
		maxQ.SetField("max_age_k")
		filters = append(filters, minQ, maxQ)
	}
	if q.OpenAt != nil {
		f, err := s.openFilter(ctx, *q.OpenAt)
		if err != nil {
			return nil, nil, err
		}
		filters = append(filters, f)
	}
	if q.Wheelchair {
		b := bleve.NewBoolFieldQuery(true)
		b.SetField("wheelchair")
		filters = append(filters, b)
	}
	if q.Attending != "" {
		filters = append(filters, termQ("attending", q.Attending))
	}
	if q.HasCapacity {
		filters = append(filters, freshCapacity(q))
	}
	if q.VerifiedSince != nil {
		yes := true
		r := bleve.NewTermRangeInclusiveQuery(updatedKey(float64(q.VerifiedSince.Unix())), "", &yes, nil)
		r.SetField("fresh_k")
		filters = append(filters, r)
	}
	if q.Near != nil && q.RadiusM > 0 {
		filters = append(filters, radiusQuery{c: *q.Near, r: q.RadiusM})
	}
	if q.Serves != nil {
		area, err := s.servesFilter(ctx, *q.Serves)
		if err != nil {
			return nil, nil, err
		}
		if q.ServesOrUnknown {
			none := bleve.NewBoolFieldQuery(false)
			none.SetField("has_area")
			area = bleve.NewDisjunctionQuery(area, none)
		}
		filters = append(filters, area)
	}
	var f query.Query
	switch len(filters) {
	case 0:
		f = bleve.NewMatchAllQuery()
	case 1:
		f = filters[0]
	default:
		f = bleve.NewConjunctionQuery(filters...)
	}
	if text == nil {
		return nil, f, nil
	}
	// Filters add nothing to the score, so the order is the text's, nudged
	// up a little for fresh available capacity (a tie-breaker, not a
	// reason to rank a weak match first).
	avail := bleve.NewTermQuery("yes")
	avail.SetField("cap")
	avail.SetBoost(capacityBoost)
	ranked := bleve.NewBooleanQuery()
	ranked.AddMust(text)
	ranked.AddShould(bleve.NewConjunctionQuery(avail, unscored{capacityFreshness(q)}))
	return ranked, f, nil
}

// capacityBoost is the weight of fresh available capacity in the score.
const capacityBoost = 0.05

// capacityFreshness matches capacity reported within the query's max age.
func capacityFreshness(q Query) query.Query {
	age := q.CapacityMaxAge
	if age <= 0 {
		age = 48 * time.Hour
	}
	yes := true
	r := bleve.NewTermRangeInclusiveQuery(updatedKey(float64(q.Now.Add(-age).Unix())), "", &yes, nil)
	r.SetField("cap_k")
	return r
}

// freshCapacity matches services with places available, reported within
// the max age.
func freshCapacity(q Query) query.Query {
	return bleve.NewConjunctionQuery(termQ("cap", "yes"), capacityFreshness(q))
}

// updatedSince matches documents updated at or after t: any later day, or
// t's own day from t's second on (a range over seconds alone would name
// every document's own term).
func updatedSince(t time.Time) query.Query {
	unix := float64(t.Unix())
	day := updatedDay(unix)
	next := t.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	yes, no := true, false
	later := bleve.NewTermRangeInclusiveQuery(day, "", &no, nil)
	later.SetField("updated_d")
	secs := bleve.NewTermRangeInclusiveQuery(updatedKey(unix), updatedKey(float64(next.Unix())), &yes, &no)
	secs.SetField("updated_k")
	return bleve.NewDisjunctionQuery(later, bleve.NewConjunctionQuery(termQ("updated_d", day), secs))
}

// openFilter matches documents open at t, each in its own time zone.
func (s *Searcher) openFilter(ctx context.Context, t time.Time) (query.Query, error) {
	toks, err := s.openTokens(ctx, t)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return bleve.NewMatchNoneQuery(), nil
	}
	return anyTerm("open_z", toks), nil
}

// openTokens are the open_z tokens of documents open at t, in every time
// zone of the index.
func (s *Searcher) openTokens(ctx context.Context, t time.Time) ([]string, error) {
	zones, err := s.ix.timeZones(ctx)
	if err != nil {
		return nil, err
	}
	var toks []string
	for _, z := range zones {
		loc, err := loadZone(z)
		if err != nil {
			continue // validated at write; an unknown zone cannot be open
		}
		toks = append(toks, localSlots(t, loc)...)
	}
	return toks, nil
}

// zoneCache keeps loaded time zones: time.LoadLocation reads the zone
// database on every call.
var zoneCache sync.Map // name -> *time.Location

func loadZone(name string) (*time.Location, error) {
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zoneCache.Store(name, l)
	return l, nil
}

func termQ(field, v string) query.Query {
	t := bleve.NewTermQuery(v)
	t.SetField(field)
	return t
}

func anyTerm(field string, vs []string) query.Query {
	if len(vs) == 1 {
		return termQ(field, vs[0])
	}
	qs := make([]query.Query, len(vs))
	for i, v := range vs {
		qs[i] = termQ(field, v)
	}
	return bleve.NewDisjunctionQuery(qs...)
}

func upper(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.ToUpper(v)
	}
	return out
}

// textQuery builds the scoring part of q: every term matched in every text
// field with that field's boost; exact words above typo matches; synonyms
// beside the words typed.
func (s *Searcher) textQuery(text string) (query.Query, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	an := s.an
	toks := parseText(text)
	if len(toks) == 0 {
		return nil, nil
	}
	endsInWord := !strings.HasSuffix(text, " ") && !strings.HasSuffix(text, `"`)
	terms := s.syn.terms(an, toks, endsInWord)
	var clauses []query.Query
	for _, t := range terms {
		// Every term is matched in "all" and, weighing more, in the name
		// and the taxonomy terms. The fewer sub-queries per term, the
		// cheaper each of thousands of hits is to score.
		qs := []query.Query{
			matchQ(t, fieldAll, 1),
			matchQ(t, fieldName, boostName),
		}
		if !t.phrase {
			qs = append(qs, matchQ(t, fieldTerms, boostTerms))
		}
		// Typo tolerance for real words only: a fuzzy match of a very long
		// token costs far more than it can find. Levenshtein has no
		// transpositions: "shleter" is two edits from "shelter", so longer
		// words get two.
		if !t.phrase && !t.allWords && wordLen(t.text) >= 5 && wordLen(t.text) <= 20 && stem(an, t.text) != "" {
			fz := bleve.NewMatchQuery(t.text)
			fz.SetField(fieldAll)
			fz.SetFuzziness(1)
			if wordLen(t.text) >= 7 {
				fz.SetFuzziness(2)
			}
			fz.SetPrefix(1)
			fz.SetBoost(0.3)
			qs = append(qs, fz)
		}
		if t.last && wordLen(t.text) >= 3 {
			p := bleve.NewPrefixQuery(t.text)
			p.SetField(fieldAll)
			p.SetBoost(0.5)
			qs = append(qs, p)
		}
		if len(t.alts) > 0 && t.allWords {
			// Each typed word of a synonym also counts on its own, for
			// partial credit.
			qs = append(qs, matchQ(term{text: t.text}, fieldAll, 0.5))
		}
		for _, a := range t.alts {
			// Synonyms need all their words, not their order.
			m := bleve.NewMatchQuery(a)
			m.SetField(fieldAll)
			m.SetOperator(query.MatchQueryOperatorAnd)
			m.SetBoost(0.9)
			qs = append(qs, m)
		}
		clauses = append(clauses, bleve.NewDisjunctionQuery(qs...))
	}
	if len(clauses) == 1 {
		return clauses[0], nil
	}
	return bleve.NewDisjunctionQuery(clauses...), nil
}

func matchQ(t term, field string, boost float64) query.Query {
	if t.phrase && field == fieldAll {
		// "all" keeps no positions: a quoted phrase matches its word pairs.
		field, t.phrase, t.allWords = fieldPairs, false, true
	}
	if t.phrase {
		p := bleve.NewMatchPhraseQuery(t.text)
		p.SetField(field)
		p.SetBoost(boost)
		return p
	}
	m := bleve.NewMatchQuery(t.text)
	m.SetField(field)
	m.SetBoost(boost)
	if t.allWords {
		m.SetOperator(query.MatchQueryOperatorAnd)
	}
	return m
}
