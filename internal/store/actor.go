package store

import (
	"github.com/linkage-org/linkage/internal/auth"
)

// Actor is who asks a workflow for a change: the caller's principal and
// where the request came from, as the audit log records it. Every exported
// write method takes one; the front ends build it from their request (the
// JSON API from the key, the CLI as the operator).
type Actor struct {
	Principal auth.Principal
	// Operator acts at the server, not through the API (a command, a
	// job, the demo set-up): it may write anything and is audited as
	// role "operator".
	Operator   bool
	ClientAddr string // the operator's source: "cli", "job", "demo"
	RequestID  string
}

// OperatorActor is the actor of a command or job run at the server; source
// says which ("cli", "job", "demo").
func OperatorActor(source, requestID string) Actor {
	return Actor{Operator: true, ClientAddr: source, RequestID: requestID}
}

// auditEntry is the audit line of what a did.
func (a Actor) auditEntry(action, resourceType, resourceID, detail string) AuditEntry {
	p := a.Principal
	e := AuditEntry{Role: string(p.Role), Action: action, ResourceType: resourceType, ResourceID: resourceID,
		ClientAddr: a.ClientAddr, RequestID: a.RequestID, Detail: detail}
	switch {
	case a.Operator:
		e.Role = "operator"
	case p.Role == auth.Anonymous:
		e.Role = "anonymous"
	}
	if p.KeyID != "" {
		e.KeyID = &p.KeyID
	}
	if p.AgencyID != "" {
		e.AgencyID = &p.AgencyID
	}
	if p.PersonID != "" {
		e.PersonID = &p.PersonID
	}
	return e
}

// auditEntryFor is auditEntry of a change to agencyID's records: an
// operator's line names that agency, so the agency's own log shows it.
func (a Actor) auditEntryFor(agencyID, action, resourceType, resourceID, detail string) AuditEntry {
	e := a.auditEntry(action, resourceType, resourceID, detail)
	if a.Operator && e.AgencyID == nil {
		e.AgencyID = &agencyID
	}
	return e
}

// by names a in HSDS metadata rows (updated_by).
func (a Actor) by() string {
	p := a.Principal
	s := string(p.Role)
	if p.PersonName != "" {
		s += " " + p.PersonName
	}
	if p.AgencyID != "" {
		s += " of agency " + p.AgencyID
	}
	if p.KeyID == "" {
		return s + " (console)" // a signed-in person, no key
	}
	return s + " (key " + p.KeyID + ")"
}

// writer is whom a's directory writes are checked for (nil: the operator
// with no agency scope, who may write anything). An operator acting for an
// agency (an import with --agency) is held to that agency's organizations.
func (a Actor) writer() *Writer {
	p := a.Principal
	if a.Operator && p.AgencyID == "" {
		return nil
	}
	e := a.auditEntry("move", "", "", "")
	return &Writer{Admin: p.Role == auth.Admin, Organizations: p.Organizations, By: a.by(), Audit: &e}
}
