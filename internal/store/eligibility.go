package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/eligibility"
	"github.com/linkage-org/linkage/internal/hsds"
)

// EligibilityTaxonomyID is the taxonomy whose term codes are the
// eligibility codes (seed/eligibility/taxonomy.json).
const EligibilityTaxonomyID = "ce5f5369-f77b-505c-8616-4384002b04f7"

// LinkTypeEligibility marks an attribute as an eligibility criterion.
const LinkTypeEligibility = "eligibility"

// EligibilityTerms maps each eligibility code to its taxonomy term id
// (empty until the eligibility taxonomy is loaded).
func (s *Store) EligibilityTerms(ctx context.Context) (map[eligibility.Code]string, error) {
	var rows []struct{ ID, Code string }
	err := s.db.WithContext(ctx).Table("taxonomy_terms").Select("id, code").Where("taxonomy_id = ?", EligibilityTaxonomyID).Scan(&rows).Error
	if err != nil {
		return nil, mapErr(err, "read eligibility terms")
	}
	out := make(map[eligibility.Code]string, len(rows))
	for _, r := range rows {
		out[eligibility.Code(r.Code)] = r.ID
	}
	return out, nil
}

// Eligibility reads the criteria of services: their eligibility
// attributes, and their HSDS minimum_age / maximum_age as a confirmed age
// rule when no age attribute says otherwise. With areas, it also reads the
// services' GeoJSON service areas: they back a service_area criterion, and
// a service without one gets it inferred (where a service works is not
// always whom it takes). One query per table.
func (s *Store) Eligibility(ctx context.Context, serviceIDs []string, areas bool) (map[string][]eligibility.Criterion, error) {
	out := make(map[string][]eligibility.Criterion, len(serviceIDs))
	if len(serviceIDs) == 0 {
		return out, nil
	}
	for _, ids := range chunks(serviceIDs) {
		var attrs []struct{ ID, LinkID, Code, Value, Label string }
		err := s.db.WithContext(ctx).Table("attributes AS a").
			Select("a.id, a.link_id, t.code, COALESCE(a.value, '') AS value, COALESCE(a.label, '') AS label").
			Joins("JOIN taxonomy_terms t ON t.id = a.taxonomy_term_id").
			Where("a.link_id IN ? AND a.link_type = ? AND t.taxonomy_id = ?", ids, LinkTypeEligibility, EligibilityTaxonomyID).
			Order("a.link_id, t.code, a.id").Scan(&attrs).Error
		if err != nil {
			return nil, mapErr(err, "read eligibility")
		}
		for _, a := range attrs {
			out[a.LinkID] = append(out[a.LinkID], eligibility.FromAttribute(a.Code, a.Value, a.Label, a.ID))
		}
		var ages []struct {
			ID                     string
			MinimumAge, MaximumAge *float64
		}
		err = s.db.WithContext(ctx).Table("services").Select("id, minimum_age, maximum_age").
			Where("id IN ? AND (minimum_age IS NOT NULL OR maximum_age IS NOT NULL)", ids).Scan(&ages).Error
		if err != nil {
			return nil, mapErr(err, "read service ages")
		}
		for _, a := range ages {
			hasAge := false
			for _, c := range out[a.ID] {
				hasAge = hasAge || c.Code == eligibility.Age
			}
			if hasAge {
				continue
			}
			v := ""
			if a.MinimumAge != nil {
				v = strconv.FormatFloat(*a.MinimumAge, 'f', -1, 64)
			}
			v += "-"
			if a.MaximumAge != nil {
				v += strconv.FormatFloat(*a.MaximumAge, 'f', -1, 64)
			}
			out[a.ID] = append(out[a.ID], eligibility.Criterion{Code: eligibility.Age, Value: v})
		}
		if areas {
			if err := s.withAreas(ctx, ids, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (s *Store) withAreas(ctx context.Context, ids []string, out map[string][]eligibility.Criterion) error {
	var rows []struct{ ServiceID, Extent, ExtentType string }
	err := s.db.WithContext(ctx).Table("service_areas").Select("service_id, extent, extent_type").
		Where("service_id IN ? AND LOWER(extent_type) = 'geojson'", ids).Scan(&rows).Error
	if err != nil {
		return mapErr(err, "read service areas")
	}
	polys := map[string][]hsds.Polygon{}
	for _, r := range rows {
		polys[r.ServiceID] = append(polys[r.ServiceID], hsds.AreaPolygons(hsds.ServiceArea{Extent: r.Extent, ExtentType: r.ExtentType})...)
	}
	for id, ps := range polys {
		if len(ps) == 0 {
			continue
		}
		found := false
		for i := range out[id] {
			if out[id][i].Code == eligibility.ServiceArea {
				out[id][i].Areas, found = ps, true
			}
		}
		if !found {
			out[id] = append(out[id], eligibility.Criterion{Code: eligibility.ServiceArea, Value: "yes", Inferred: true, Source: "service area", Areas: ps})
		}
	}
	return nil
}

// ProposeEligibility stores proposed (inferred) criteria of one service as
// eligibility attributes, with one HSDS metadata row; the caller leaves
// out codes the service already has. It does not touch the service's
// last_modified: a proposal is not an agency's confirmation.
func (t *txn) ProposeEligibility(ctx context.Context, serviceID string, cs []eligibility.Criterion, terms map[eligibility.Code]string, actor string) error {
	if len(cs) == 0 {
		return nil
	}
	rows := make([]attributeRow, 0, len(cs))
	for _, c := range cs {
		term, ok := terms[c.Code]
		if !ok {
			return apperr.E(apperr.Unavailable, "the eligibility taxonomy is not loaded")
		}
		id := serviceID
		rows = append(rows, attributeRow{ID: uuid.NewString(), LinkID: &id, TaxonomyTermID: term, LinkType: LinkTypeEligibility,
			LinkEntity: "service", Value: c.Value, Label: c.Label()})
	}
	if err := t.db.WithContext(ctx).Create(&rows).Error; err != nil {
		return mapErr(err, "propose eligibility")
	}
	meta := []hsds.Metadata{{ID: uuid.NewString(), ResourceID: serviceID, ResourceType: "service", LastActionDate: t.s.now().UTC().Format(HistoryTime),
		LastActionType: "eligibility_extract", FieldName: "attributes", PreviousValue: "", ReplacementValue: strconv.Itoa(len(rows)) + " inferred eligibility criteria", UpdatedBy: actor}}
	return t.addMetadata(ctx, meta)
}

// checkEligibility holds a service's eligibility attributes (link_type
// eligibility) to the eligibility taxonomy: a term of it, and a value its
// code can read.
func checkEligibility(ctx context.Context, tx *txn, as []hsds.Attribute, fe *apperr.FieldErrors) error {
	var terms map[eligibility.Code]string
	for i, a := range as {
		if a.LinkType != LinkTypeEligibility {
			continue
		}
		if terms == nil {
			var err error
			if terms, err = tx.View().EligibilityTerms(ctx); err != nil {
				return err
			}
		}
		code := eligibility.Code("")
		for c, id := range terms {
			if strings.EqualFold(id, a.TaxonomyTermID) {
				code = c
			}
		}
		ptr := "/attributes/" + strconv.Itoa(i)
		if code == "" {
			fe.Add(ptr+"/taxonomy_term_id", "an eligibility attribute needs a term of the eligibility taxonomy (%s)", EligibilityTaxonomyID)
			continue
		}
		if msg := eligibility.FromAttribute(string(code), a.Value, a.Label, a.ID).Check(); msg != "" {
			fe.Add(ptr+"/value", "%s", msg)
		}
	}
	return nil
}
