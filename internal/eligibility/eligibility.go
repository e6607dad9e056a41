// Package eligibility holds structured eligibility as plain Go: the
// criteria a service can carry, a client profile, the poverty guidelines,
// the match of one against the other with human reasons, and the extractor
// that proposes criteria from free text. It knows nothing of HTTP, SQL or
// Bleve.
package eligibility

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/linkage-org/linkage/internal/hsds"
)

// Code names a kind of criterion. Each is a term of the eligibility
// taxonomy shipped in seed/ (HSDS attributes with link_type eligibility).
type Code string

// Criterion codes.
const (
	Age          Code = "age"            // value "MIN-MAX", either side may be empty
	Gender       Code = "gender"         // female, male, nonbinary
	IncomeFPL    Code = "income_fpl"     // percent of the poverty guideline, a ceiling
	IncomeAmount Code = "income_amount"  // "AMOUNT/month" or "AMOUNT/year", a ceiling
	Household    Code = "household_size" // "MIN-MAX"
	Veteran      Code = "veteran"        // yes
	Disability   Code = "disability"     // yes
	Pregnant     Code = "pregnant"       // yes
	Children     Code = "children"       // yes, or a maximum child age ("5")
	County       Code = "county"         // county names, comma-separated
	Postcode     Code = "postcode"       // postcodes, comma-separated
	ServiceArea  Code = "service_area"   // yes: residents of the service's HSDS service areas only
	Insurance    Code = "insurance"      // any of medicaid, medicare, uninsured, private
	Immigration  Code = "immigration"    // any of citizen, lpr, refugee, asylee, visa
	Documents    Code = "documents"      // what to bring; never excludes anyone
)

// Codes lists every criterion code.
var Codes = []Code{Age, Gender, IncomeFPL, IncomeAmount, Household, Veteran, Disability, Pregnant, Children, County, Postcode, ServiceArea, Insurance, Immigration, Documents}

// Value lists of the coded criteria.
var (
	Genders         = []string{"female", "male", "nonbinary"}
	Insurances      = []string{"medicaid", "medicare", "uninsured", "private"}
	Immigrations    = []string{"citizen", "lpr", "refugee", "asylee", "visa", "undocumented"}
	DocumentKinds   = []string{"photo_id", "proof_of_income", "proof_of_address", "ssn_card", "birth_certificate", "dd214"}
	IncomePeriods   = []string{"month", "year"}
	maxCriterionLen = 500
)

// Criterion is one eligibility rule of a service.
type Criterion struct {
	Code  Code   `json:"code"`
	Value string `json:"value"`
	// Inferred criteria were read from free text by the extractor and not
	// yet confirmed by the agency; Source is the phrase they came from.
	Inferred bool   `json:"inferred,omitempty"`
	Source   string `json:"source,omitempty"`
	// AttributeID is the HSDS attribute holding the criterion, if stored.
	AttributeID string `json:"attribute_id,omitempty"`
	// Areas are the service's service-area polygons, for ServiceArea.
	Areas []hsds.Polygon `json:"-"`
}

// InferredPrefix marks an attribute label as an unconfirmed proposal:
// "inferred: <source phrase>".
const InferredPrefix = "inferred: "

// FromAttribute reads a criterion from an eligibility attribute's term
// code, value and label.
func FromAttribute(code, value, label, id string) Criterion {
	c := Criterion{Code: Code(code), Value: value, AttributeID: id}
	if src, ok := strings.CutPrefix(label, InferredPrefix); ok {
		c.Inferred, c.Source = true, src
	}
	return c
}

// Label is the attribute label that stores c's inferred state.
func (c Criterion) Label() string {
	if c.Inferred {
		return InferredPrefix + c.Source
	}
	return ""
}

// Span is an inclusive numeric range; nil ends are open.
type Span struct{ Min, Max *float64 }

// ParseSpan reads "MIN-MAX", "MIN-", "-MAX" or a single number.
func ParseSpan(v string) (Span, error) {
	v = strings.TrimSpace(v)
	lo, hi, ok := strings.Cut(v, "-")
	if !ok {
		lo, hi = v, v
	}
	var s Span
	for _, p := range []struct {
		text string
		out  **float64
	}{{lo, &s.Min}, {hi, &s.Max}} {
		if p.text = strings.TrimSpace(p.text); p.text == "" {
			continue
		}
		f, err := strconv.ParseFloat(p.text, 64)
		if err != nil || f < 0 {
			return Span{}, fmt.Errorf("%q is not a range such as 18-24, 65- or -17", v)
		}
		*p.out = &f
	}
	if s.Min == nil && s.Max == nil {
		return Span{}, fmt.Errorf("%q is not a range such as 18-24, 65- or -17", v)
	}
	if s.Min != nil && s.Max != nil && *s.Min > *s.Max {
		return Span{}, fmt.Errorf("%q ends before it starts", v)
	}
	return s, nil
}

// Amount is an income ceiling per period.
type Amount struct {
	Value  float64
	Period string // month or year
}

// ParseAmount reads "2500/month" or "40000/year".
func ParseAmount(v string) (Amount, error) {
	n, per, ok := strings.Cut(strings.TrimSpace(v), "/")
	f, err := strconv.ParseFloat(strings.ReplaceAll(n, ",", ""), 64)
	if !ok || err != nil || f <= 0 || !slices.Contains(IncomePeriods, per) {
		return Amount{}, fmt.Errorf("%q is not an amount such as 2500/month or 40000/year", v)
	}
	return Amount{Value: f, Period: per}, nil
}

// List splits a comma-separated value, trimmed, lowercased unless keepCase.
func List(v string, keepCase bool) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if !keepCase {
				s = strings.ToLower(s)
			}
			out = append(out, s)
		}
	}
	return out
}

// Check says what is wrong with c ("" if nothing), for the write API.
func (c Criterion) Check() string {
	if len(c.Value) > maxCriterionLen {
		return fmt.Sprintf("is longer than %d characters", maxCriterionLen)
	}
	oneOf := func(list []string) string {
		vals := List(c.Value, false)
		if len(vals) == 0 {
			return "names no value; use " + strings.Join(list, ", ")
		}
		for _, v := range vals {
			if !slices.Contains(list, v) {
				return fmt.Sprintf("%q is not one of %s", v, strings.Join(list, ", "))
			}
		}
		return ""
	}
	switch c.Code {
	case Age, Household:
		if _, err := ParseSpan(c.Value); err != nil {
			return err.Error()
		}
	case IncomeFPL:
		f, err := strconv.ParseFloat(c.Value, 64)
		if err != nil || f <= 0 || f > 1000 {
			return "must be a percent of the poverty guideline, such as 200"
		}
	case IncomeAmount:
		if _, err := ParseAmount(c.Value); err != nil {
			return err.Error()
		}
	case Gender:
		return oneOf(Genders)
	case Veteran, Disability, Pregnant, ServiceArea:
		if c.Value != "yes" {
			return `must be "yes"`
		}
	case Children:
		if c.Value != "yes" {
			if n, err := strconv.Atoi(c.Value); err != nil || n < 0 || n > 25 {
				return `must be "yes" or the oldest child age served, such as 5`
			}
		}
	case County, Postcode:
		if len(List(c.Value, true)) == 0 {
			return "names no " + string(c.Code)
		}
	case Insurance:
		return oneOf(Insurances)
	case Immigration:
		return oneOf(Immigrations)
	case Documents:
		return oneOf(DocumentKinds)
	default:
		return fmt.Sprintf("%q is not an eligibility code", c.Code)
	}
	return ""
}
