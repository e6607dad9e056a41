package eligibility

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Extract proposes criteria from free text (eligibility_description,
// description, fees): each is Inferred, with the phrase it came from as
// Source, for the agency to confirm or reject. It prefers missing a rule
// to inventing one: a sentence about staff or volunteers, or one whose
// rules are alternatives ("65+ or have a disability"), yields nothing.
func Extract(text string) []Criterion { return ExtractFrom(text, "") }

// eligibilityCue marks a sentence of a general description that states who
// is served; other sentences of a description (what the service does) are
// not read for rules: "we help with green card applications" is not a rule.
var eligibilityCue = regexp.MustCompile(`(?i)\b(only|must|eligib\w*|open to|serv(?:es|ing)|requir\w*|ages?|aged|residents?|for (?:adults|seniors|youth|teens|women|men|veterans|families|people|children|students|anyone|individuals))\b`)

// ExtractFrom is Extract over a service's eligibility text (every sentence
// read) and its other text (only sentences that say who is served).
func ExtractFrom(eligibilityText, otherText string) []Criterion {
	var out []Criterion
	seen := map[Code]bool{}
	var all []string
	all = append(all, sentences(eligibilityText)...)
	for _, s := range sentences(otherText) {
		if eligibilityCue.MatchString(s) {
			all = append(all, s)
		}
	}
	for _, s := range all {
		for _, c := range extractSentence(s) {
			if seen[c.Code] {
				continue // the first statement of a rule wins
			}
			seen[c.Code] = true
			c.Inferred = true
			out = append(out, c)
		}
	}
	return out
}

var sentenceEnd = regexp.MustCompile(`[.!?;]\s+|\n+`)

func sentences(text string) []string {
	var out []string
	for _, s := range sentenceEnd.Split(text, -1) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

var (
	notClient   = regexp.MustCompile(`(?i)^(volunteers?|staff|employees|our team)\b`)
	alternative = regexp.MustCompile(`(?i)\bor (have|has|be|the spouse|work|a child|an?)\b`)

	ageRange   = regexp.MustCompile(`(?i)\b(?:ages?|aged|youth|teens|kids|children|boys and girls|young adults|clients aged)\s+(?:between\s+)?(\d{1,2})\s*(?:-|–|to|through|and)\s*(\d{1,2})\b`)
	ageBetween = regexp.MustCompile(`(?i)\bbetween (?:the ages of )?(\d{1,2}) and (\d{1,2})\b`)
	ageBare    = regexp.MustCompile(`(?i)\b(\d{1,2})\s*(?:-|–)\s*(\d{1,2})\b`)
	ageMin     = regexp.MustCompile(`(?i)\b(\d{1,2})\s*(?:\+|(?:years?(?: of age)?|yrs)?\s*(?:and|or)\s+(?:older|over|up|above))`)
	ageAtLeast = regexp.MustCompile(`(?i)\bat least (\d{1,2}) years?\b`)
	ageUnder   = regexp.MustCompile(`(?i)\b(\w+)\s+under (?:age\s+)?(\d{1,2})\b`)
	ageToAge   = regexp.MustCompile(`(?i)\binfants to age (\d{1,2})\b`)
	ageWord    = regexp.MustCompile(`(?i)\b(ages?|aged|years?|youth|teens?|kids|children|boys|girls|adults|seniors|infants|young|old)\b`)
	notAge     = regexp.MustCompile(`(?i)\b(grades?|am|pm|hours?|days?|weeks?|months?)\b`)

	female = regexp.MustCompile(`(?i)\b(women|woman|female|mothers|girls)\b`)
	male   = regexp.MustCompile(`(?i)\b(men|man|male|boys|fathers)\b`)

	fpl          = regexp.MustCompile(`(?i)\b(\d{2,3})\s*(?:%|percent)\s*(?:of\s+)?(?:the\s+)?(?:federal\s+)?(?:poverty|fpl)\b`)
	amount       = regexp.MustCompile(`(?i)\$\s?([\d,]+)\s*(?:a|per|/|each)\s*(month|year)`)
	amountPeriod = regexp.MustCompile(`(?i)\b(monthly|annual|yearly)\b[^$]*\$\s?([\d,]+)`)
	perPerson    = regexp.MustCompile(`(?i)\b(single person|per person|for a family of|for one person)\b`)

	veteran   = regexp.MustCompile(`(?i)\bveterans?\b`)
	vetNot    = regexp.MustCompile(`(?i)\b(all veterans|and their famil|spouse)`)
	disabled  = regexp.MustCompile(`(?i)\b(disabilit(?:y|ies)|disabled|special needs)\b`)
	pregnant  = regexp.MustCompile(`(?i)\b(pregnan\w*|expectant)\b`)
	children  = regexp.MustCompile(`(?i)\b(?:families|parents|households?) (?:\w+ )?(?:with|and) (?:at least one )?(?:children|child|kids)\b|\bchildren under \d+`)
	caregiver = regexp.MustCompile(`(?i)^(caregivers|parents|families) of\b`)
	county    = regexp.MustCompile(`\b(?:in|of)\s+([A-Z][\w-]*(?:\s[A-Z][\w-]*)?)\s+County\b`)
	proofOf   = regexp.MustCompile(`(?i)\bproof of\s+\S+\s+County`)
	postcodes = regexp.MustCompile(`(?i)\b(?:zip codes?|zip|postcodes?|living in|in)\s+(\d{5}(?:\s*(?:,|and|or)\s*\d{5})*)\b`)
	fiveDigit = regexp.MustCompile(`\d{5}`)

	medicaid  = regexp.MustCompile(`(?i)\bmedicaid\b`)
	medicare  = regexp.MustCompile(`(?i)\bmedicare\b`)
	uninsured = regexp.MustCompile(`(?i)\b(uninsured|no (?:health )?insurance|without (?:health )?insurance)\b`)

	citizen   = regexp.MustCompile(`(?i)\bcitizens?\b`)
	lpr       = regexp.MustCompile(`(?i)\b(lawful permanent residents?|green card)\b`)
	refugee   = regexp.MustCompile(`(?i)\brefugees?\b`)
	asylee    = regexp.MustCompile(`(?i)\basylees?\b`)
	anyStatus = regexp.MustCompile(`(?i)\b(regardless of|welcome)\b`)

	docs = []struct {
		re   *regexp.Regexp
		kind string
	}{
		{regexp.MustCompile(`(?i)\b(photo id|valid (?:photo )?id|photo identification|picture id)\b`), "photo_id"},
		{regexp.MustCompile(`(?i)\bproof of (?:household )?income\b`), "proof_of_income"},
		{regexp.MustCompile(`(?i)\bproof of (?:address|residency|residence|\S+ County residency)\b`), "proof_of_address"},
		{regexp.MustCompile(`(?i)\bsocial security card\b`), "ssn_card"},
		{regexp.MustCompile(`(?i)\bbirth certificate\b`), "birth_certificate"},
		{regexp.MustCompile(`(?i)\bdd-?214\b`), "dd214"},
	}
)

func extractSentence(s string) []Criterion {
	if notClient.MatchString(s) || alternative.MatchString(s) {
		return nil
	}
	var out []Criterion
	add := func(code Code, value, source string) {
		out = append(out, Criterion{Code: code, Value: value, Source: strings.TrimSpace(source)})
	}
	kids := children.FindString(s)
	// "Caregivers of adults 60 and older": the ages are someone else's;
	// "parents with children ages 0-5": the children's.
	if v, src, ok := extractAge(s); ok && !caregiver.MatchString(s) && !(kids != "" && strings.Contains(strings.ToLower(s), "children "+strings.ToLower(src))) {
		add(Age, v, src)
	}
	f, m := female.FindString(s), male.FindString(s)
	switch {
	case f != "" && m == "":
		add(Gender, "female", f)
	case m != "" && f == "":
		add(Gender, "male", m)
	}
	if x := fpl.FindStringSubmatch(s); x != nil {
		add(IncomeFPL, x[1], x[0])
	} else if strings.Contains(strings.ToLower(s), "income") && !perPerson.MatchString(s) {
		if x := amount.FindStringSubmatch(s); x != nil {
			add(IncomeAmount, strings.ReplaceAll(x[1], ",", "")+"/"+strings.ToLower(x[2]), x[0])
		} else if x := amountPeriod.FindStringSubmatch(s); x != nil {
			per := "year"
			if strings.EqualFold(x[1], "monthly") {
				per = "month"
			}
			add(IncomeAmount, strings.ReplaceAll(x[2], ",", "")+"/"+per, x[0])
		}
	}
	if x := veteran.FindString(s); x != "" && !vetNot.MatchString(s) {
		add(Veteran, "yes", x)
	}
	if x := disabled.FindString(s); x != "" {
		add(Disability, "yes", x)
	}
	if x := pregnant.FindString(s); x != "" {
		add(Pregnant, "yes", x)
	}
	if kids != "" {
		add(Children, "yes", kids)
	}
	if x := county.FindStringSubmatch(s); x != nil && !proofOf.MatchString(s) {
		add(County, x[1], x[0])
	}
	if x := postcodes.FindStringSubmatch(s); x != nil {
		add(Postcode, strings.Join(fiveDigit.FindAllString(x[1], -1), ","), x[0])
	}
	var ins []string
	var insSrc []string
	for _, p := range []struct {
		re   *regexp.Regexp
		kind string
	}{{medicaid, "medicaid"}, {medicare, "medicare"}, {uninsured, "uninsured"}} {
		if x := p.re.FindString(s); x != "" {
			ins, insSrc = append(ins, p.kind), append(insSrc, x)
		}
	}
	if len(ins) > 0 {
		add(Insurance, strings.Join(ins, ","), strings.Join(insSrc, ", "))
	}
	if !anyStatus.MatchString(s) {
		var st, src []string
		for _, p := range []struct {
			re   *regexp.Regexp
			kind string
		}{{citizen, "citizen"}, {lpr, "lpr"}, {refugee, "refugee"}, {asylee, "asylee"}} {
			if x := p.re.FindString(s); x != "" {
				st, src = append(st, p.kind), append(src, x)
			}
		}
		if len(st) > 0 {
			add(Immigration, strings.Join(st, ","), strings.Join(src, ", "))
		}
	}
	var kinds, src []string
	for _, d := range docs {
		if x := d.re.FindString(s); x != "" && !slices.Contains(kinds, d.kind) {
			kinds, src = append(kinds, d.kind), append(src, x)
		}
	}
	if len(kinds) > 0 {
		add(Documents, strings.Join(kinds, ","), strings.Join(src, ", "))
	}
	return out
}

// extractAge finds the ages a sentence serves.
func extractAge(s string) (value, source string, ok bool) {
	span := func(lo, hi string) string { return lo + "-" + hi }
	if x := ageRange.FindStringSubmatch(s); x != nil && lessEq(x[1], x[2]) {
		return span(x[1], x[2]), x[0], true
	}
	if x := ageBetween.FindStringSubmatch(s); x != nil && lessEq(x[1], x[2]) {
		return span(x[1], x[2]), x[0], true
	}
	if x := ageToAge.FindStringSubmatch(s); x != nil {
		return span("0", x[1]), x[0], true
	}
	if x := ageMin.FindStringSubmatch(s); x != nil {
		return x[1] + "-", x[0], true
	}
	if x := ageAtLeast.FindStringSubmatch(s); x != nil {
		return x[1] + "-", x[0], true
	}
	if x := ageUnder.FindStringSubmatch(s); x != nil {
		who := strings.ToLower(x[1])
		if !slices.Contains([]string{"children", "child", "toddlers", "infants", "kids", "a"}, who) {
			n, _ := strconv.Atoi(x[2])
			return "-" + strconv.Itoa(n-1), x[0], true
		}
	}
	if ageWord.MatchString(s) && !notAge.MatchString(s) {
		if x := ageBare.FindStringSubmatch(s); x != nil && lessEq(x[1], x[2]) {
			return span(x[1], x[2]), x[0], true
		}
	}
	return "", "", false
}

func lessEq(a, b string) bool {
	x, _ := strconv.Atoi(a)
	y, _ := strconv.Atoi(b)
	return x <= y
}
