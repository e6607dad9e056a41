package referral

import "slices"

// Reason is one code of the single vocabulary a decline and an
// unsuccessful close share, with what a FHIR facade would send for it.
type Reason struct {
	Code    string
	Meaning string
	// FHIR is the code's Gravity SDOH Clinical Care / Task.statusReason
	// equivalent. The IG binds no value set to Task.statusReason (the move
	// itself maps to Task.status: declined = rejected, closed_unsuccessful =
	// failed), so none has a direct coded equivalent and the code travels as
	// statusReason text.
	FHIR string
}

// Reasons is the one reason-code vocabulary: a move to declined or to
// closed_unsuccessful takes any of these codes.
var Reasons = []Reason{
	{"not_eligible", "the client does not meet the service's eligibility", "no direct equivalent (statusReason text)"},
	{"no_capacity", "the service has no room or slot for the client", "no direct equivalent (statusReason text)"},
	{"service_not_offered", "the service is not (or no longer) offered as listed", "no direct equivalent (statusReason text)"},
	{"client_unreachable", "the agency could not reach the client, or lost contact", "no direct equivalent (statusReason text)"},
	{"client_declined", "the client turned the service down", "no direct equivalent (statusReason text)"},
	{"client_did_not_attend", "the client missed the appointment or intake", "no direct equivalent (statusReason text)"},
	{"duplicate", "the same client was already referred for this need", "no direct equivalent (statusReason text)"},
	{Forwarded, "the receiver passed the referral on to another service (POST /referrals/{id}/forward; forwarded_to names the new referral)", "no direct equivalent (statusReason text); the new Task's basedOn would name the first"},
	{"other", "none of the above; the move's note says why", "no direct equivalent (statusReason text)"},
}

// Forwarded is the reason of a referral its receiver forwarded: set only by
// a forward, never by a plain decline.
const Forwarded = "forwarded"

// reasonAliases maps codes older clients send to their one name: until the
// vocabulary was merged an unsuccessful close said lost_contact where a
// decline said client_unreachable.
var reasonAliases = map[string]string{"lost_contact": "client_unreachable"}

// ReasonCodes lists the canonical codes, in vocabulary order.
func ReasonCodes() []string {
	out := make([]string, len(Reasons))
	for i, r := range Reasons {
		out[i] = r.Code
	}
	return out
}

// CanonicalReason is code's one name: an old alias becomes the code it
// stands for, any other code is returned as it is (valid or not).
func CanonicalReason(code string) string {
	if c, ok := reasonAliases[code]; ok {
		return c
	}
	return code
}

// ValidReason says whether code, or the code it is an alias of, is in the
// vocabulary.
func ValidReason(code string) bool {
	return slices.Contains(ReasonCodes(), CanonicalReason(code))
}
