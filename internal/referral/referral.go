// Package referral holds the closed-loop referral rules as plain Go: the
// statuses, the table of moves each side may make, the codes a move carries,
// and the follow-up tasks (with due dates) the lifecycle creates. It knows
// nothing of HTTP or SQL.
package referral

import (
	"fmt"
	"slices"
	"strings"
)

// Status is where a referral stands. The FHIR Task names, for a future FHIR
// facade: sent = requested, declined = rejected, waitlisted = on-hold,
// in_progress = in-progress, closed_unsuccessful = failed.
type Status string

// Statuses.
const (
	Draft              Status = "draft"
	Sent               Status = "sent"
	Received           Status = "received"
	Accepted           Status = "accepted"
	Declined           Status = "declined"
	Waitlisted         Status = "waitlisted"
	InProgress         Status = "in_progress"
	Completed          Status = "completed"
	ClosedUnsuccessful Status = "closed_unsuccessful"
	Cancelled          Status = "cancelled"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{Draft, Sent, Received, Accepted, Waitlisted, InProgress, Declined, Completed, ClosedUnsuccessful, Cancelled}

// Terminal says whether no move leaves s.
func (s Status) Terminal() bool {
	return s == Declined || s == Cancelled || s == Completed || s == ClosedUnsuccessful
}

// Valid says whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Side is the caller's relation to a referral: the agency that sent it, the
// agency that receives it, or both (a referral inside one agency).
type Side uint8

// Sides.
const (
	None     Side = 0
	Sender   Side = 1
	Receiver Side = 2
	Both          = Sender | Receiver
)

func (s Side) String() string {
	switch s {
	case Sender:
		return "sender"
	case Receiver:
		return "receiver"
	case Both:
		return "sender and receiver"
	}
	return "none"
}

// moves is the whole transition table (the README, "The referral lifecycle").
var moves = map[Status]map[Status]Side{
	Draft:      {Sent: Sender, Cancelled: Sender},
	Sent:       {Received: Receiver, Accepted: Receiver, Declined: Receiver, Waitlisted: Receiver, Cancelled: Sender},
	Received:   {Accepted: Receiver, Declined: Receiver, Waitlisted: Receiver, Cancelled: Sender},
	Waitlisted: {Accepted: Receiver, Declined: Receiver, Cancelled: Sender},
	Accepted:   {InProgress: Receiver, Waitlisted: Receiver, Completed: Receiver, ClosedUnsuccessful: Receiver, Cancelled: Sender},
	InProgress: {Completed: Receiver, ClosedUnsuccessful: Receiver, Cancelled: Sender},
}

// Allowed lists the statuses side may move a referral in from to, in
// lifecycle order.
func Allowed(from Status, side Side) []Status {
	var out []Status
	for _, to := range Statuses {
		if who, ok := moves[from][to]; ok && who&side != 0 {
			out = append(out, to)
		}
	}
	return out
}

// MoveError is a move the table refuses; it names the moves that are
// allowed so a client can correct itself.
type MoveError struct {
	From, To Status
	Side     Side
	Allowed  []Status
}

func (e *MoveError) Error() string {
	var why string
	switch {
	case e.From.Terminal():
		why = fmt.Sprintf("the referral is %s, which is final", e.From)
	case e.From == e.To:
		why = fmt.Sprintf("the referral is already %s", e.From)
	default:
		why = fmt.Sprintf("the %s cannot move a referral from %s to %s", e.Side, e.From, e.To)
	}
	if len(e.Allowed) == 0 {
		return why + "; the " + e.Side.String() + " has no moves from here"
	}
	return why + "; allowed moves: " + JoinStatuses(e.Allowed)
}

// JoinStatuses lists ss for a message: "sent, accepted".
func JoinStatuses(ss []Status) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// Next checks that side may move a referral from from to to.
func Next(from, to Status, side Side) error {
	if who, ok := moves[from][to]; ok && who&side != 0 {
		return nil
	}
	return &MoveError{From: from, To: to, Side: side, Allowed: Allowed(from, side)}
}

// Priority says how soon the receiver should act.
type Priority string

// Priorities.
const (
	Routine Priority = "routine"
	Urgent  Priority = "urgent"
)

// Rank orders priorities for a queue: urgent (0) before routine (1).
func (p Priority) Rank() int {
	if p == Urgent {
		return 0
	}
	return 1
}

// How a referral was made. Linkage sends it to an agency in the network,
// which answers it; the others record a referral made outside Linkage
// (out of network), whose moves the referring caseworker records.
const (
	MethodLinkage = "linkage"
)

// Methods lists how a referral can be made, Linkage first; the rest are
// out of network.
var Methods = []string{MethodLinkage, "phone", "warm_handoff", "self_referral", "email", "in_person"}

// How an in-network receiver and the client meet: the receiver has the
// client's contact details (the share includes contact, under consent), or
// the client will contact the service.
const (
	ShareContact      = "share_contact"
	ClientWillContact = "client_will_contact"
)

// ContactModes lists the contact modes.
var ContactModes = []string{ShareContact, ClientWillContact}

// Codes a move carries (the reason codes are Reasons, in reason.go).
var (
	// Outcomes of a completed referral.
	Outcomes = []string{"service_provided", "partly_provided"}
	// NeedMet is the client's own answer after the referral closed.
	NeedMet = []string{"yes", "partly", "no"}
)

// Move is what a caller asks for: a new status and what it carries.
type Move struct {
	To      Status
	Reason  string
	Outcome string
	// HasAppointment says the move set an appointment time.
	HasAppointment bool
	// Forward says the move is a forward's decline (reason forwarded).
	Forward bool
}

// Problem is one thing wrong with a move's fields, by JSON field name.
type Problem struct{ Field, Message string }

// Canonical is m with an old reason alias replaced by its one name, for a
// move whose reason is a code (a cancellation's reason is free text).
func (m Move) Canonical() Move {
	if m.To == Declined || m.To == ClosedUnsuccessful {
		m.Reason = CanonicalReason(m.Reason)
	}
	return m
}

// Check reports the fields a move needs or may not carry: a decline or an
// unsuccessful close names a reason from its list; completion names an
// outcome; an appointment belongs to in_progress (or accepted).
func (m Move) Check() []Problem {
	var out []Problem
	need := func(field, value string, list []string, why string) {
		switch {
		case value == "":
			out = append(out, Problem{field, why + "; one of " + strings.Join(list, ", ")})
		case field == "reason" && ValidReason(value):
		case !slices.Contains(list, value):
			out = append(out, Problem{field, fmt.Sprintf("%q is not one of %s", value, strings.Join(list, ", "))})
		}
	}
	forbid := func(field, value string) {
		if value != "" {
			out = append(out, Problem{field, fmt.Sprintf("is only for a move to %s", map[string]string{"reason": "declined, closed_unsuccessful or cancelled", "outcome": "completed"}[field])})
		}
	}
	if m.Reason == Forwarded && !m.Forward {
		out = append(out, Problem{"reason", "forwarded is set by POST /referrals/{id}/forward, which also makes the new referral"})
	}
	switch m.To {
	case Declined:
		need("reason", m.Reason, ReasonCodes(), "a decline needs a reason")
	case ClosedUnsuccessful:
		need("reason", m.Reason, ReasonCodes(), "an unsuccessful close needs a reason")
	case Cancelled:
		if m.Reason != "" && len(m.Reason) > 64 {
			out = append(out, Problem{"reason", "is longer than 64 characters"})
		}
	default:
		forbid("reason", m.Reason)
	}
	if m.To == Completed {
		need("outcome", m.Outcome, Outcomes, "a completed referral needs an outcome")
	} else {
		forbid("outcome", m.Outcome)
	}
	if m.HasAppointment && m.To != InProgress && m.To != Accepted {
		out = append(out, Problem{"appointment_at", "is only for a move to accepted or in_progress"})
	}
	return out
}
