package importer

import (
	"context"
	"fmt"
	"strings"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/eligibility"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/store"
)

// ExtractReport says what an eligibility extraction proposed.
type ExtractReport struct {
	Services  int            `json:"services"`   // services read
	Proposed  int            `json:"proposed"`   // criteria stored (or, dry, that would be)
	WithRules int            `json:"with_rules"` // services that got at least one
	ByCode    map[string]int `json:"by_code"`
}

// ExtractEligibility reads every service's eligibility, fee and general
// description and stores the criteria the extractor proposes as inferred
// eligibility attributes (codes a service already has are left alone).
// Agencies then confirm or reject each one. With dryRun nothing is written.
func ExtractEligibility(ctx context.Context, st *store.Store, actor string, dryRun bool, progress func(done int)) (ExtractReport, error) {
	rep := ExtractReport{ByCode: map[string]int{}}
	terms, err := st.EligibilityTerms(ctx)
	if err != nil {
		return rep, err
	}
	if len(terms) < len(eligibility.Codes) {
		return rep, apperr.E(apperr.Unavailable, "the eligibility taxonomy is not loaded (it loads when the server starts, or with linkage migrate)")
	}
	var batch []store.EligibilityProposal
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		// One read of the batch's criteria: codes a service already has
		// are left alone, whether this run writes or only counts.
		ids := make([]string, len(batch))
		for i, p := range batch {
			ids[i] = p.ServiceID
		}
		have, err := st.Eligibility(ctx, ids, false)
		if err != nil {
			return err
		}
		for i, p := range batch {
			existing := map[eligibility.Code]bool{}
			for _, c := range have[p.ServiceID] {
				existing[c.Code] = existing[c.Code] || c.AttributeID != ""
			}
			fresh := p.Criteria[:0]
			for _, c := range p.Criteria {
				if !existing[c.Code] {
					fresh = append(fresh, c)
				}
			}
			batch[i].Criteria = fresh
			rep.Proposed += len(fresh)
		}
		if !dryRun {
			err = st.ProposeEligibilities(ctx, batch, terms, actor)
		}
		batch = batch[:0]
		return err
	}
	err = st.StreamServices(ctx, store.Filter{}, store.ShapeList, func(s *hsds.Service) error {
		rep.Services++
		cs := eligibility.ExtractFrom(s.EligibilityDescription, strings.Join([]string{s.FeesDescription, s.Description}, ".\n"))
		if len(cs) > 0 {
			rep.WithRules++
			for _, c := range cs {
				rep.ByCode[string(c.Code)]++
			}
			batch = append(batch, store.EligibilityProposal{ServiceID: s.ID, Criteria: cs})
		}
		if len(batch) >= 200 {
			if err := flush(); err != nil {
				return err
			}
		}
		if progress != nil {
			progress(rep.Services)
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("extract eligibility: %w", err)
	}
	return rep, flush()
}
