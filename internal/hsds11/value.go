package hsds11

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// value maps one cell by its column's kind. A value that does not fit is
// left out and noted; the 3.1 rules then judge the record without it.
func (c *converter) value(r *inRow, x col, cell string) {
	v := strings.TrimSpace(cell)
	if v == "" && x.kind != self {
		return
	}
	set := func(s string, ok bool, why string) {
		if ok {
			r.out[x.to] = s
		} else {
			c.note(r, x.name, why, true, cell)
		}
	}
	switch x.kind {
	case text:
		r.out[x.to] = cell
	case lower:
		r.out[x.to] = strings.ToLower(v)
	case upper:
		r.out[x.to] = country(v)
	case number:
		n, ok := parseNumber(v)
		set(n, ok, "is not a number; the value was left out")
	case year:
		y, ok := parseYear(v)
		set(y, ok, "is not a year such as 1998; the value was left out")
	case date:
		d, ok := parseDate(v)
		set(d, ok, "is not a date such as 2024-12-24 (YYYY-MM-DD); the value was left out")
	case clock:
		t, ok := parseClock(v)
		set(t, ok, "is not a time of day such as 09:00 or 5:30 PM; the value was left out")
	case self: // read first, by mapRow
	case ref:
		r.out[x.to] = c.uuid(x.ref, v)
	case drop:
		if x.why != "" {
			c.note(r, x.name, x.why+"; it was left out", true, cell)
		}
	}
}

func parseNumber(v string) (string, bool) {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return "", false
	}
	return strconv.FormatFloat(n, 'f', -1, 64), true
}

var yearRe = regexp.MustCompile(`^(\d{4})(-\d\d(-\d\d)?([T ].*)?)?$`)

func parseYear(v string) (string, bool) {
	m := yearRe.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// parseDate takes YYYY-MM-DD, or a date-time of which the date is kept.
// Other spellings (12/24/2024) are not guessed at: day and month order
// differ between countries.
func parseDate(v string) (string, bool) {
	if len(v) >= 10 {
		if _, err := time.Parse(time.DateOnly, v[:10]); err == nil && (len(v) == 10 || v[10] == 'T' || v[10] == ' ') {
			return v[:10], true
		}
	}
	return "", false
}

var clockRe = regexp.MustCompile(`(?i)^(\d{1,2})(?::?(\d\d))?(?::(\d\d))?\s*(am|pm|a\.m\.|p\.m\.)?\s*(z|[+-]\d\d:?\d\d)?$`)

// parseClock reads the times 1.1 exports hold ("9:00", "09:00:00",
// "5:30 PM", "0900", "09:00-05:00") as HH:MM, with seconds and offset
// when given. 24:00 is the end of the day, which 3.1 writes 23:59.
func parseClock(v string) (string, bool) {
	m := clockRe.FindStringSubmatch(v)
	if m == nil || (m[2] == "" && m[4] == "") {
		return "", false // a bare number is not a time
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	if ampm := strings.ToLower(strings.ReplaceAll(m[4], ".", "")); ampm != "" {
		if h < 1 || h > 12 {
			return "", false
		}
		h %= 12
		if ampm == "pm" {
			h += 12
		}
	}
	if h == 24 && mi == 0 && (m[3] == "" || m[3] == "00") {
		return "23:59" + strings.ToUpper(m[5]), true
	}
	if h > 23 || mi > 59 {
		return "", false
	}
	out := twoDigits(h) + ":" + twoDigits(mi)
	if m[3] != "" {
		s, _ := strconv.Atoi(m[3])
		if s > 59 {
			return "", false
		}
		out += ":" + m[3]
	}
	return out + strings.ToUpper(m[5]), true
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

var weekdays = []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

// parseWeekday reads a 1.1 weekday as an iCalendar day: a name ("Monday",
// "mon"), a two-letter code, or a number. numeric says it was a number,
// which is read as ISO 8601 does (1 is Monday, 7 Sunday; 0 is Sunday too,
// as systems counting from zero have it): the 1.1 specification types the
// column as an integer without saying where the week begins.
func parseWeekday(v string) (day string, numeric, ok bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 || n > 7 {
			return "", true, false
		}
		return weekdays[(n+6)%7], true, true
	}
	names := []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
	for i, name := range names {
		if len(v) >= 2 && strings.HasPrefix(name, strings.TrimSuffix(v, ".")) {
			return weekdays[i], false, true
		}
	}
	return "", false, false
}

// parseBool reads a 1.1 boolean.
func parseBool(v string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "t", "yes", "y", "1":
		return true, true
	case "false", "f", "no", "n", "0":
		return false, true
	}
	return false, false
}

var codeRe = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// languages splits a 1.1 language cell ("en", "Spanish", "es, fr-CA") into
// 3.1 languages: a two- or three-letter word (with subtags) is a code,
// anything else a name.
func languages(v string) []row {
	var out []row
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == '/' || r == '|' }) {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
		case codeRe.MatchString(part):
			lang, rest, _ := strings.Cut(part, "-")
			if rest != "" {
				rest = "-" + rest
			}
			out = append(out, row{"code": strings.ToLower(lang) + rest})
		default:
			out = append(out, row{"name": part})
		}
	}
	return out
}

// countryNames are the spellings of countries 1.x exports put where 3.1
// wants an ISO 3166-1 alpha-2 code, beside the alpha-3 and numeric codes
// ParseRegion reads; most 211 exports are American.
var countryNames = map[string]string{
	"UNITED STATES": "US", "UNITED STATES OF AMERICA": "US", "U.S.": "US", "U.S.A.": "US", "AMERICA": "US",
	"CANADA": "CA", "MEXICO": "MX", "MÉXICO": "MX", "PUERTO RICO": "PR", "UNITED KINGDOM": "GB", "UK": "GB",
}

// country spells v as an ISO 3166-1 alpha-2 code where it names a country
// ("USA", "840", "United States"); anything else is kept, in capitals, for
// the 3.1 rules to refuse with its value.
func country(v string) string {
	up := strings.ToUpper(strings.Join(strings.Fields(v), " "))
	if code, ok := countryNames[up]; ok {
		return code
	}
	if len(up) == 2 {
		return up
	}
	if reg, err := language.ParseRegion(up); err == nil && reg.IsCountry() {
		return reg.String()
	}
	return up
}
