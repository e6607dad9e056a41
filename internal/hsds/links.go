package hsds

import (
	"reflect"
	"strconv"
)

// attributeEntities names each kind of record attributes hang on, as an
// attribute's link_entity says it.
var attributeEntities = map[reflect.Type]string{
	reflect.TypeFor[Organization]():           LinkEntityOrganization,
	reflect.TypeFor[Service]():                LinkEntityService,
	reflect.TypeFor[Location]():               LinkEntityLocation,
	reflect.TypeFor[ServiceAtLocation]():      "service_at_location",
	reflect.TypeFor[URL]():                    "url",
	reflect.TypeFor[Funding]():                "funding",
	reflect.TypeFor[Program]():                "program",
	reflect.TypeFor[OrganizationIdentifier](): "organization_identifier",
	reflect.TypeFor[Schedule]():               "schedule",
	reflect.TypeFor[ServiceArea]():            "service_area",
	reflect.TypeFor[CostOption]():             "cost_option",
	reflect.TypeFor[RequiredDocument]():       "required_document",
	reflect.TypeFor[ServiceCapacity]():        "service_capacity",
	reflect.TypeFor[Unit]():                   "unit",
	reflect.TypeFor[Address]():                "address",
	reflect.TypeFor[Accessibility]():          "accessibility",
	reflect.TypeFor[Phone]():                  "phone",
	reflect.TypeFor[Contact]():                "contact",
	reflect.TypeFor[Language]():               "language",
}

// checkAttributeLinks: an attribute nested in a record is that record's.
// Its link_id and link_entity, filled by Normalize when left out, must
// name the record it is in: attributes are joined to records by link_id,
// so one naming another record would hang on that record instead.
func checkAttributeLinks(c *checker, root any) {
	Walk(root, func(ptr string, rec any) {
		v := reflect.ValueOf(rec).Elem()
		entity, ok := attributeEntities[v.Type()]
		if !ok {
			return
		}
		f := v.FieldByName("Attributes")
		if !f.IsValid() {
			return
		}
		attrs, _ := f.Interface().([]Attribute)
		id := RecordID(rec)
		for i, a := range attrs {
			q := ptr + "/attributes/" + strconv.Itoa(i)
			if a.LinkID != id {
				c.add(q+"/link_id", "must be %s, the id of the %s it is nested in (or left out)", id, entity)
			}
			if a.LinkEntity != entity {
				c.add(q+"/link_entity", "must be %q, the kind of record it is nested in (or left out), got %q", entity, clip(a.LinkEntity))
			}
		}
	})
}
