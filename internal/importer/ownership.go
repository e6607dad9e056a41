package importer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/store"
)

// ownerCheck asks the store, a batch of records at a time, which nested
// records of the import belong to organizations the importing agency may
// not write (another agency's phone id in one of its services), so each is
// a problem with its line before anything is written. The write checks
// again, in its transaction.
type ownerCheck struct {
	st    *store.Store
	actor store.Actor
	batch []hsdsio.Record
	seqs  []int // of the batch's records, in the input
	size  int
	// problem takes each problem with the record it is in (-1: none known).
	problem func(seq int, p hsdsio.Problem)
}

func (c *ownerCheck) add(ctx context.Context, seq int, r hsdsio.Record) error {
	c.batch = append(c.batch, r)
	c.seqs = append(c.seqs, seq)
	if len(c.batch) >= c.size {
		return c.flush(ctx)
	}
	return nil
}

func (c *ownerCheck) flush(ctx context.Context) error {
	if len(c.batch) == 0 {
		return nil
	}
	docs := &store.Documents{}
	var byKind = map[string][]hsdsio.Record{}
	var seqs = map[string][]int{}
	for i, r := range c.batch {
		switch r.Kind {
		case hsdsio.KindTaxonomyTerm:
			docs.Terms = append(docs.Terms, *r.Term)
		case hsdsio.KindOrganization:
			docs.Organizations = append(docs.Organizations, *r.Organization)
		case hsdsio.KindService:
			docs.Services = append(docs.Services, *r.Service)
		}
		byKind[r.Kind] = append(byKind[r.Kind], r)
		seqs[r.Kind] = append(seqs[r.Kind], c.seqs[i])
	}
	c.batch, c.seqs = c.batch[:0], c.seqs[:0]
	vs, err := c.st.CheckOwnershipFor(ctx, docs, c.actor)
	if err != nil {
		return fmt.Errorf("check ownership: %w", err)
	}
	for _, v := range vs {
		p, seq := hsdsio.Problem{Field: v.Pointer, Message: v.Message}, -1
		if rs := byKind[v.Kind]; v.Index < len(rs) {
			r := rs[v.Index]
			p.Source, p.Line, p.RecordID = r.Source, r.Line, r.ID()
			seq = seqs[v.Kind][v.Index]
		}
		c.problem(seq, p)
	}
	return nil
}

// AgencyScope keeps an import to the organizations orgIDs (an agency's):
// records of other organizations, and taxonomy terms, are problems.
func AgencyScope(orgIDs []string) func(r hsdsio.Record) []hsdsio.Problem {
	manages := func(id string) bool { return id != "" && slices.Contains(orgIDs, strings.ToLower(id)) }
	return func(r hsdsio.Record) []hsdsio.Problem {
		prob := func(field, msg string) []hsdsio.Problem {
			return []hsdsio.Problem{{Source: r.Source, Line: r.Line, RecordID: r.ID(), Field: field, Message: msg}}
		}
		switch r.Kind {
		case hsdsio.KindTaxonomyTerm:
			return prob("", "taxonomy terms are imported by an administrator")
		case hsdsio.KindOrganization:
			if !manages(r.Organization.ID) {
				return prob("/id", "your agency does not manage organization "+r.Organization.ID+"; create it with PUT /organizations/{id} first")
			}
		case hsdsio.KindService:
			if !manages(r.Service.OrganizationID) {
				return prob("/organization_id", "your agency does not manage organization "+r.Service.OrganizationID)
			}
		}
		return nil
	}
}
