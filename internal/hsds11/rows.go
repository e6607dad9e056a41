package hsds11

import (
	"strconv"
	"strings"
)

// The row functions: what one 1.1 table needs beyond column-for-column
// mapping. Each fills r.out, or writes rows of its own.

// programRow: 3.1 requires a program's description, which 1.1 lacks.
func programRow(c *converter, r *inRow) error {
	if r.out["description"] == "" && r.out["name"] != "" {
		r.out["description"] = r.out["name"]
		c.note(r, "description", "HSDS 3.1 requires a program's description, which HSDS 1.1 does not have: the program's name was used", false, "")
	}
	return nil
}

// locationRow: 3.1 requires location_type, which 1.1 lacks; 1.1 locations
// are places (a 1.1 package has no virtual locations).
func locationRow(c *converter, r *inRow) error {
	r.out["location_type"] = "physical"
	c.note(r, "location_type", "HSDS 3.1 requires location_type, which HSDS 1.1 does not have: the location was imported as physical", false, "")
	return nil
}

// phoneRow: the 1.1 language column lists the languages spoken on the
// line; 3.1 has a language record per language, nested in the phone.
func phoneRow(c *converter, r *inRow) error {
	for i, l := range languages(r.get("language")) {
		l["id"] = c.uuid("phone_language", r.orig+"#"+strconv.Itoa(i+1))
		l["phone_id"] = r.out["id"]
		if err := c.out.emit("language", l, r.from()); err != nil {
			return err
		}
	}
	return nil
}

// languageRow: a 1.1 language is a code or a name, sometimes several.
func languageRow(c *converter, r *inRow) error {
	ls := languages(r.get("language"))
	if len(ls) == 0 {
		return nil // no language: the 3.1 rules say what is missing
	}
	for k, v := range ls[0] {
		r.out[k] = v
	}
	for i, l := range ls[1:] {
		l["id"] = c.uuid("language", r.orig+"#"+strconv.Itoa(i+2))
		l["service_id"], l["location_id"] = r.out["service_id"], r.out["location_id"]
		if err := c.out.emit("language", l, r.from()); err != nil {
			return err
		}
	}
	return nil
}

// addressRow: 3.1 has two address lines; 1.1 has four.
func addressRow(c *converter, r *inRow) error {
	var extra []string
	for _, name := range []string{"address_3", "address_4"} {
		if v := strings.TrimSpace(r.get(name)); v != "" {
			extra = append(extra, v)
			c.note(r, name, "HSDS 3.1 has two address lines: this one was added to address_2", false, v)
		}
	}
	if len(extra) > 0 {
		r.out["address_2"] = strings.Join(append(nonEmpty(r.out["address_2"]), extra...), ", ")
	}
	return nil
}

func nonEmpty(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return []string{s}
}

// regularRow: a 1.1 regular schedule is one weekday's hours; in 3.1 it is
// a weekly rule on that day. Without a day it is kept without a rule, as
// a rule without a day would read as open every day.
func regularRow(c *converter, r *inRow) error {
	v := r.get("weekday")
	day, numeric, ok := parseWeekday(v)
	switch {
	case ok:
		r.out["freq"], r.out["byday"] = "WEEKLY", day
		if numeric {
			c.note(r, "weekday", "weekday numbers were read as ISO 8601 days (1 Monday ... 7 Sunday; 0 Sunday)", false, v)
		}
	case strings.TrimSpace(v) == "":
		c.note(r, "weekday", "is empty; the schedule was kept without a weekly rule, so it never reads as open", true, "")
	default:
		c.note(r, "weekday", "is not a day of the week; the schedule was kept without a weekly rule, so it never reads as open", true, v)
	}
	return nil
}

// holidayRow: a 1.1 holiday schedule gives hours, or closure, over a range
// of dates. 3.1 keeps the dates as valid_from and valid_to; hours become
// a rule for every day of the range. 3.1 cannot say closed, and a rule
// cannot replace the regular hours: a closure is kept without a rule and
// described as closed, so it never reads as open.
func holidayRow(c *converter, r *inRow) error {
	v := r.get("closed")
	closed, ok := parseBool(v)
	if !ok && strings.TrimSpace(v) != "" {
		c.note(r, "closed", "is not true or false; it was read as false", true, v)
	}
	if closed {
		r.out["description"] = "Closed"
		c.note(r, "closed", "HSDS 3.1 has no closed flag: the closure was kept as a schedule over its dates described as Closed", false, v)
		return nil
	}
	r.out["description"] = "Holiday hours"
	if r.out["opens_at"] != "" || r.out["closes_at"] != "" {
		r.out["freq"] = "WEEKLY"
	}
	return nil
}

// taxonomyRow: a 1.1 taxonomy row is a 3.1 taxonomy term; its vocabulary
// becomes a 3.1 taxonomy (written once each, after all terms). The 1.1 id
// is the term's code in its vocabulary (AIRS codes are used as ids).
func taxonomyRow(c *converter, r *inRow) error {
	r.out["code"] = r.orig
	if r.out["description"] == "" && r.out["name"] != "" {
		r.out["description"] = r.out["name"]
		c.note(r, "description", "HSDS 3.1 requires a term's description, which HSDS 1.1 does not have: the term's name was used", false, "")
	}
	vocab := strings.TrimSpace(r.get("vocabulary"))
	if vocab == "" {
		return nil
	}
	r.out["taxonomy"] = vocab
	r.out["taxonomy_id"] = c.uuid("vocabulary", vocab)
	return c.j.vocabulary(vocab, r.from())
}

// serviceRow: the deprecated taxonomy_ids list becomes attributes, as
// services_taxonomy rows do; a service waits for its eligibility and
// payments when the package has any.
func serviceRow(c *converter, r *inRow) error {
	for _, t := range strings.Split(r.get("taxonomy_ids"), ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		a := row{"id": c.uuid("service_taxonomy_ids", r.orig+"#"+t), "link_id": r.out["id"], "link_entity": "service",
			"taxonomy_term_id": c.uuid("taxonomy", t)}
		if err := c.out.emit("attribute", a, r.from()); err != nil {
			return err
		}
	}
	return c.j.holdService(c, r)
}

// extraRow: an eligibility or payment_accepted row is text of its service.
func extraRow(c *converter, r *inRow) error {
	return c.j.extra(c, r)
}

// metadataRow: a metadata row waits until every record's id is known.
func metadataRow(c *converter, r *inRow) error {
	return c.j.metadata(c, r)
}
