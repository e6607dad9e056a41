package search

// This file is the search engine as its users see it: the Indexer the API
// depends on and the query and result types it speaks. It imports no
// Bleve; Searcher over an Index is the Bleve-backed engine, and
// indexsync.Syncer the Indexer that keeps it in step with the database.

import (
	"context"
	"time"
)

// Indexer is a search index kept in step with the database, as the API
// uses it. Writes do not go through it: they commit to the database,
// whose outbox the index applies in order (so it never holds what the
// database does not say); Notify and WaitFor give a writer its own
// change back in searches.
type Indexer interface {
	// Search runs q and returns one page of hits, the total and facets;
	// a q without Now is run at the Indexer's own clock.
	Search(ctx context.Context, q Query) (Result, error)
	// Values runs q and returns the distinct values of field (FieldSAL,
	// service_id or organization_id) over the best limit hits, in order.
	Values(ctx context.Context, q Query, field string, limit int) ([]string, error)
	// Highlighter marks the words of a text query in a result's fields.
	Highlighter(text string) func(fields map[string]string) map[string]string
	// Categories are the values a category filter takes (upper case,
	// sorted).
	Categories(ctx context.Context) ([]string, error)
	// Notify says this process just committed a change to index.
	Notify()
	// WaitFor blocks until the index has applied the change with outbox
	// sequence seq, or ctx ends.
	WaitFor(ctx context.Context, seq int64) error
	// Subscribe calls fn before the index changes: with the services a
	// change touches, or with all set when the whole index is replaced.
	Subscribe(fn func(serviceIDs []string, all bool))
}

// Sort orders.
const (
	SortRelevance = "relevance"
	SortDistance  = "distance"
	SortName      = "name"
	SortUpdated   = "updated"
)

// MaxWindow bounds how deep a search can page (from + size).
const MaxWindow = 10000

// Query is one search. Empty fields do not filter; the rest combine with
// AND. Values inside one list field combine with OR.
type Query struct {
	Text           string
	TermIDs        []string // with their descendants (documents carry ancestors)
	Codes          []string // taxonomy codes; a trailing * takes the whole branch
	TaxonomyID     string
	OrganizationID string
	Categories     []string // top-level term codes
	Languages      []string // ISO 639 codes
	Cost           string
	Age            *float64
	Statuses       []string // default: active
	AnyStatus      bool     // every status (the HSDS list routes)
	UpdatedAfter   *time.Time
	OpenAt         *time.Time
	Wheelchair     bool
	// HasCapacity keeps services reporting places available within
	// CapacityMaxAge (older reports count as unknown). Fresh available
	// capacity also ranks a service above others of equal relevance.
	HasCapacity bool
	// VerifiedSince keeps listings changed or verified by their agency at
	// or after it (stale listings left out).
	VerifiedSince  *time.Time
	CapacityMaxAge time.Duration // 0: 48 hours
	Attending      string
	Near           *Point  // with RadiusM: within that distance
	RadiusM        float64 // 0: no distance limit (Near still sorts)
	Serves         *Point  // a service area contains the point
	// ServesOrUnknown also keeps services that describe no service area
	// (HSDS postcode search: "if service_area is available").
	ServesOrUnknown bool

	Sort   string // default relevance with Text, distance with Near, else name
	From   int
	Size   int
	Facets bool
	// Now is the instant the search is made at, from the caller's clock
	// (this package reads none): capacity reports count as fresh from it,
	// and the open-now facet counts what is open at it, or at OpenAt when
	// that is set, so the facet and the filter judge the same instant.
	Now time.Time
}

// openInstant is when the open-now facet counts what is open: the open_at
// filter's instant, else the search's.
func (q Query) openInstant() time.Time {
	if q.OpenAt != nil {
		return *q.OpenAt
	}
	return q.Now
}

// Hit is one matching document.
type Hit struct {
	ID             string
	ServiceID      string
	LocationID     string
	OrganizationID string
	Score          float64
}

// FacetCount is one value of a facet and how many results have it.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Facets count the whole result set by category, language, cost and
// open-now.
type Facets struct {
	Category []FacetCount `json:"category"`
	Language []FacetCount `json:"language"`
	Cost     []FacetCount `json:"cost"`
	OpenNow  FacetOpen    `json:"open_now"`
}

// FacetOpen counts the results open at the time of the search.
type FacetOpen struct {
	True  int `json:"true"`
	False int `json:"false"`
}

// Result is one page of hits and the total.
type Result struct {
	Hits   []Hit
	Total  int
	Facets *Facets
}

// FieldSAL asks Values for service_at_location ids.
const FieldSAL = "_sal"
