package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/referral"
)

// CaseInput is what a caseworker writes of a case: a new one, or one as
// changed.
type CaseInput struct {
	Status  string // open (default) or closed
	Client  *referral.Client
	Needs   []referral.Need
	Consent *referral.Consent
	// Assessment is the client's situation and risks; nil is none.
	Assessment *referral.Assessment
	// CaseworkerID is the person of the agency the case is with. At
	// creation nil is the acting person (if any); a change gives the
	// whole state, so nil there is nobody.
	CaseworkerID *string
	// Lead sets when a dated risk's task falls due (zero: two business
	// days before).
	Lead referral.Lead
}

// check reports what is wrong with in (422); known are the ids of the
// case's needs and risks (a need or risk named by id must be one of
// them). Need and risk ids are lower-cased.
func (in *CaseInput) check(now time.Time, known, knownRisks map[string]bool) error {
	var probs []referral.Problem
	if in.Client == nil {
		probs = append(probs, referral.Problem{Field: "/client", Message: "is required"})
	} else {
		probs = append(probs, referral.CheckClient(in.Client, "/client", now)...)
	}
	if len(in.Needs) > referral.MaxNeeds {
		probs = append(probs, referral.Problem{Field: "/needs", Message: fmt.Sprintf("lists more than %d needs", referral.MaxNeeds)})
	}
	for i := range in.Needs {
		n := &in.Needs[i]
		ptr := "/needs/" + strconv.Itoa(i)
		if n.ID != "" && !known[strings.ToLower(n.ID)] {
			probs = append(probs, referral.Problem{Field: ptr + "/id", Message: "is not a need of this case; leave id out to add a need"})
		}
		n.ID = strings.ToLower(n.ID)
		probs = append(probs, referral.CheckNeed(n, ptr)...)
	}
	if in.Consent != nil {
		probs = append(probs, referral.CheckConsent(in.Consent, "/consent")...)
	}
	if in.Assessment != nil {
		probs = append(probs, checkAssessment(in.Assessment, in.Client, knownRisks, now)...)
	}
	switch in.Status {
	case "", CaseOpen, CaseClosed:
	default:
		probs = append(probs, referral.Problem{Field: "/status", Message: "must be open or closed"})
	}
	return problems(probs, "The case is not valid; see errors.")
}

// problems turns domain problems into one 422.
func problems(probs []referral.Problem, msg string) error {
	if len(probs) == 0 {
		return nil
	}
	fe := make(apperr.FieldErrors, len(probs))
	for i, p := range probs {
		ptr := p.Field
		if !strings.HasPrefix(ptr, "/") {
			ptr = "/" + ptr
		}
		fe[i] = apperr.FieldError{Pointer: ptr, Message: p.Message}
	}
	return apperr.WithFields(apperr.Unprocessable, msg, fe)
}

// CreateCase opens a case for a's agency, in one transaction with its
// audit row and idem's key. A replay under the key creates nothing and
// answers the first case (replayed true).
func (s *Store) CreateCase(ctx context.Context, a Actor, in CaseInput, idem Idempotency) (c Case, replayed bool, err error) {
	if err := in.check(s.now(), nil, nil); err != nil {
		return Case{}, false, err
	}
	if err := problems(referral.CheckConsentChange(nil, in.Consent, "/consent", s.now()), "The consent is not valid; see errors."); err != nil {
		return Case{}, false, err
	}
	p := a.Principal
	id, replayed, err := s.idempotent(ctx, a, "case", idem, func(tx *txn, id string) error {
		c = Case{ID: id, AgencyID: p.AgencyID, CreatedBy: nilIfEmpty(p.KeyID), CaseworkerID: nilIfEmpty(p.PersonID), Status: in.Status, Client: *in.Client, Needs: in.Needs, Consent: in.Consent}
		if in.CaseworkerID != nil {
			if err := tx.checkCaseworker(ctx, p.AgencyID, *in.CaseworkerID); err != nil {
				return err
			}
			c.CaseworkerID = in.CaseworkerID
		}
		if c.Needs == nil {
			c.Needs = []referral.Need{}
		}
		if in.Assessment != nil {
			c.Assessment = *in.Assessment
		}
		riskIDs(&c.Assessment)
		if err := tx.createCase(ctx, &c); err != nil {
			return err
		}
		if err := tx.afterCaseWrite(ctx, a, &c, in.Lead, true); err != nil {
			return err
		}
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("create", "case", c.ID, "client,needs,consent,assessment")})
	})
	if err != nil || !replayed {
		return c, replayed, err
	}
	c, err = s.CaseByID(ctx, id, p.AgencyID)
	return c, true, err
}

// CaseUpdate is a change to a case, made under the case's row lock.
type CaseUpdate struct {
	// Match checks the case's current version against the one the caller
	// read (the API's If-Match); an error aborts the change.
	Match func(version int) error
	// Patch turns the case as stored into the case as changed.
	Patch func(cur CaseInput) (CaseInput, error)
	// Fields names what the change touches, for the audit row.
	Fields []string
	// Lead is as in CaseInput.
	Lead referral.Lead
}

// UpdateCase changes case id of a's agency as u says, in one transaction:
// lock, precondition, patch, the case rules, the write (version bumped)
// and its audit row.
func (s *Store) UpdateCase(ctx context.Context, a Actor, id string, u CaseUpdate) (Case, error) {
	var c Case
	err := s.inTx(ctx, func(tx *txn) error {
		var err error
		if c, err = tx.lockCase(ctx, id, a.Principal.AgencyID); err != nil {
			return err
		}
		if u.Match != nil {
			if err := u.Match(c.Version); err != nil {
				return err
			}
		}
		before := c.Client
		assessed := c.Assessment
		in, err := u.Patch(CaseInput{Status: c.Status, Client: &c.Client, Needs: c.Needs, Consent: c.Consent, Assessment: &assessed, CaseworkerID: c.CaseworkerID})
		if err != nil {
			return err
		}
		known := map[string]bool{}
		for _, n := range c.Needs {
			known[n.ID] = true
		}
		risks := map[string]bool{}
		for _, r := range c.Assessment.Risks {
			risks[r.ID] = true
		}
		if err := in.check(s.now(), known, risks); err != nil {
			return err
		}
		if err := problems(referral.CheckConsentChange(c.Consent, in.Consent, "/consent", s.now()), "The consent cannot change that way; see errors."); err != nil {
			return err
		}
		c.Client, c.Needs, c.Consent = *in.Client, in.Needs, in.Consent
		c.Assessment = referral.Assessment{}
		if in.Assessment != nil {
			c.Assessment = *in.Assessment
		}
		riskIDs(&c.Assessment)
		if in.Status != "" {
			c.Status = in.Status
		}
		if c.Needs == nil {
			c.Needs = []referral.Need{}
		}
		if err := tx.reassignCase(ctx, &c, in.CaseworkerID); err != nil {
			return err
		}
		if err := tx.updateCase(ctx, &c); err != nil {
			return err
		}
		if err := tx.afterCaseWrite(ctx, a, &c, u.Lead, clientKey(before) != clientKey(c.Client)); err != nil {
			return err
		}
		fields := slices.Sorted(slices.Values(u.Fields))
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("update", "case", c.ID, strings.Join(fields, ","))})
	})
	return c, err
}

// ReadCase reads case id of a's agency; the read is audited.
func (s *Store) ReadCase(ctx context.Context, a Actor, id string) (Case, error) {
	c, err := s.CaseByID(ctx, id, a.Principal.AgencyID)
	if err != nil {
		return Case{}, err
	}
	if err := s.AuditReads(ctx, a, "case", []string{c.ID}, "client,needs,consent,assessment"); err != nil {
		return Case{}, err
	}
	return c, nil
}

// ListCases is Cases for a's agency; every case listed is an audited read.
func (s *Store) ListCases(ctx context.Context, a Actor, f CaseFilter, p Paging) ([]Case, int64, error) {
	f.AgencyID = a.Principal.AgencyID
	cases, total, err := s.Cases(ctx, f, p)
	if err != nil {
		return nil, 0, err
	}
	ids := make([]string, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	if err := s.AuditReads(ctx, a, "case", ids, "client,needs,consent,assessment (list)"); err != nil {
		return nil, 0, err
	}
	return cases, total, nil
}

// checkCaseworker is a 422 unless id is an active person of agencyID.
func (t *txn) checkCaseworker(ctx context.Context, agencyID, id string) error {
	p, err := t.personOf(ctx, agencyID, id)
	switch {
	case apperr.KindOf(err) == apperr.NotFound || (err == nil && !p.Active):
		return apperr.WithFields(apperr.Unprocessable, "The case is not valid; see errors.", apperr.FieldErrors{{Pointer: "/caseworker_id", Message: "is not an active person of your agency"}})
	case err != nil:
		return err
	}
	return nil
}

// reassignCase gives case c to person to (nil: nobody), checked; the open
// tasks of its risks and the caseworker's open follow-ups of its
// referrals follow it (tasks someone added keep their assignee).
func (t *txn) reassignCase(ctx context.Context, c *Case, to *string) error {
	if deref(to) == deref(c.CaseworkerID) {
		return nil
	}
	if to != nil {
		*to = strings.ToLower(*to)
		if err := t.checkCaseworker(ctx, c.AgencyID, *to); err != nil {
			return err
		}
	}
	c.CaseworkerID = to
	kinds := []string{RiskTask, string(referral.CheckIn), string(referral.ClientFollowUp)}
	err := t.db.WithContext(ctx).Model(&FollowUp{}).Where("case_id = ? AND assignee_agency_id = ? AND kind IN ? AND done_at IS NULL", c.ID, c.AgencyID, kinds).
		Update("assignee_person_id", to).Error
	return mapErr(err, "reassign risk tasks")
}
