package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/eligibility"
	"github.com/linkage-org/linkage/internal/referral"
)

// sealAssessment is the sealed JSON of c's assessment, bound to the case;
// nil when it holds nothing.
func (s *Store) sealAssessment(c *Case) (*string, error) {
	if c.Assessment.Empty() {
		return nil, nil
	}
	raw, err := json.Marshal(c.Assessment)
	if err != nil {
		return nil, fmt.Errorf("store: encode assessment: %w", err)
	}
	return s.sealText(string(raw), "case:"+c.ID, "assessment")
}

// openAssessment fills c's assessment from row r; risks are never nil.
func (s *Store) openAssessment(r caseRow, c *Case) error {
	raw, err := s.openText(r.Assessment, "case:"+r.ID, "assessment")
	if err != nil {
		return err
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &c.Assessment); err != nil {
			return fmt.Errorf("store: decode assessment of case %s: %w", r.ID, err)
		}
	}
	if c.Assessment.Risks == nil {
		c.Assessment.Risks = []referral.Risk{}
	}
	return nil
}

// caseArea is the one geographic value of a case kept in clear, for the
// barrier report (needs not met, by area): coarse enough to name no one —
// the county, lower-cased, if the assessment knows it, else the first three
// characters of the postal code (a US ZIP's sectional center), else "".
func caseArea(c *Case) string {
	if county := strings.ToLower(strings.TrimSpace(c.Assessment.County)); county != "" {
		return county
	}
	pc := c.Assessment.Postcode
	if pc == "" {
		pc = c.Client.PostalCode
	}
	if pc = strings.ToLower(strings.TrimSpace(pc)); len(pc) >= 3 {
		return pc[:3]
	}
	return ""
}

// ProfileOf is what eligibility knows of a case's client: the client's
// birth date, postal code, household size and language, with the
// assessment's facts over them.
func ProfileOf(c Case) eligibility.Profile {
	a := c.Assessment
	p := eligibility.Profile{BirthDate: c.Client.BirthDate, Postcode: c.Client.PostalCode, Gender: a.Gender,
		Income: a.Income, IncomePeriod: a.IncomePeriod, HouseholdSize: a.HouseholdSize, ChildrenAges: a.ChildrenAges,
		Insurance: a.Insurance, Veteran: a.Veteran, Disability: a.Disability, Pregnant: a.Pregnant,
		Immigration: a.Immigration, Languages: a.Languages, County: a.County, State: a.State}
	if a.Postcode != "" {
		p.Postcode = a.Postcode
	}
	if p.HouseholdSize == nil && c.Client.HouseholdSize > 0 {
		n := c.Client.HouseholdSize
		p.HouseholdSize = &n
	}
	if len(p.Languages) == 0 && c.Client.PreferredLanguage != "" {
		p.Languages = []string{c.Client.PreferredLanguage}
	}
	return p
}

// checkAssessment reports the problems of a (of a case whose client is
// cl; known, the ids of its risks) at /assessment, and normalises it as the
// eligibility rules read it (lower-case codes, the state upper-case).
func checkAssessment(a *referral.Assessment, cl *referral.Client, known map[string]bool, now time.Time) []referral.Problem {
	probs := referral.CheckAssessment(a, "/assessment", known)
	var c Case
	if cl != nil {
		c.Client = *cl
	}
	c.Assessment = *a
	p := ProfileOf(c)
	p.Postcode, p.Languages = a.Postcode, nil // checked above
	for _, pr := range p.Normalize(now) {
		field := strings.TrimPrefix(pr.Pointer, "/client/")
		if field == "birth_date" || field == "age" {
			continue // the client's, checked there
		}
		probs = append(probs, referral.Problem{Field: "/assessment/" + field, Message: pr.Message})
	}
	a.Gender, a.Insurance, a.Immigration, a.State = p.Gender, p.Insurance, p.Immigration, p.State
	return probs
}

// riskIDs gives the risks of a that have none a new id.
func riskIDs(a *referral.Assessment) {
	for i := range a.Risks {
		if a.Risks[i].ID == "" {
			a.Risks[i].ID = uuid.NewString()
		}
	}
	if a.Risks == nil {
		a.Risks = []referral.Risk{}
	}
}
