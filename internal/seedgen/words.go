package seedgen

// Vocabulary shared by all categories. Everything here is read-only.

// language is a language services are offered in (ISO 639-1, or 639-3 where
// there is no two-letter code).
type language struct{ Code, Name string }

// languages lists English and Spanish first; the rest are drawn with a small
// share everywhere and a larger one in metros that list them.
var languages = []language{
	{"en", "English"}, {"es", "Spanish"},
	{"zh", "Chinese"}, {"vi", "Vietnamese"}, {"tl", "Tagalog"}, {"ko", "Korean"}, {"ru", "Russian"},
	{"ar", "Arabic"}, {"ht", "Haitian Creole"}, {"pt", "Portuguese"}, {"fr", "French"},
	{"so", "Somali"}, {"hmn", "Hmong"}, {"am", "Amharic"}, {"pl", "Polish"}, {"ja", "Japanese"},
	{"hy", "Armenian"}, {"bn", "Bengali"},
}

// commonLanguages are the codes (after English and Spanish) drawn everywhere
// with a small share.
var commonLanguages = map[string]bool{"zh": true, "vi": true, "tl": true, "ko": true, "ru": true, "ar": true, "ht": true, "pt": true, "fr": true}

// population is who a service is for; it drives eligibility, ages and
// sometimes a word of the service name.
type population struct {
	Qualifier   string // a word for names ("Senior"), or ""
	Phrase      string // for prose: "older adults"
	Eligibility string
	WithArea    bool    // Eligibility continues with the metro's area name
	Min, Max    float64 // -1: not set
}

const (
	popAll = iota
	popLowIncome
	popAdults
	popYouth
	popSeniors
	popChildren
	popFamilies
	popVeterans
	popWomen
	popHomeless
	popImmigrants
	popDisability
	popTeens
	popEarlyChildhood
	popLGBTQ
)

var populations = []population{
	popAll:            {"", "individuals and families", "Open to anyone who lives or works in", true, -1, -1},
	popLowIncome:      {"", "low-income households", "Households with income at or below 200% of the federal poverty guidelines.", false, -1, -1},
	popAdults:         {"Adult", "adults", "Adults aged 18 and older.", false, 18, -1},
	popYouth:          {"Youth", "young people aged 16 to 24", "Young people aged 16 to 24, including those who are out of school or out of work.", false, 16, 24},
	popSeniors:        {"Senior", "older adults", "Adults aged 60 and older and their caregivers.", false, 60, -1},
	popChildren:       {"Kids", "children and teens", "Children and teens from birth to age 17 with a parent or guardian.", false, 0, 17},
	popFamilies:       {"Family", "families with children", "Households with at least one child under 18.", false, -1, -1},
	popVeterans:       {"Veterans", "veterans and their families", "Veterans of any era and their immediate family members; most services do not depend on discharge status.", false, 18, -1},
	popWomen:          {"Women's", "women and their children", "Women aged 18 and older and their children.", false, 18, -1},
	popHomeless:       {"", "people experiencing homelessness", "People who are homeless or at imminent risk of losing their housing.", false, -1, -1},
	popImmigrants:     {"Newcomer", "immigrants and refugees", "Immigrants, refugees and asylum seekers, regardless of immigration status.", false, -1, -1},
	popDisability:     {"", "people with disabilities", "People with a physical, intellectual or developmental disability and their caregivers.", false, -1, -1},
	popTeens:          {"Teen", "teens", "Teens aged 13 to 19.", false, 13, 19},
	popEarlyChildhood: {"Early Childhood", "young children and their parents", "Children from birth to age 5 and their parents or caregivers.", false, 0, 5},
	popLGBTQ:          {"LGBTQ+", "LGBTQ+ people", "LGBTQ+ people of all ages and their families.", false, -1, -1},
}

// places name neighborhoods, sites and services ("Riverside Food Pantry").
var places = []string{
	"Northside", "Southside", "Eastside", "Westside", "Downtown", "Midtown", "Uptown", "Riverside", "Lakeview", "Hillcrest",
	"Maple Grove", "Oak Hill", "Cedar Heights", "Fairview", "Greenwood", "Highland Park", "Brookside", "Pleasant Valley", "Union Square", "Park Slope",
	"Elmwood", "Sunnyside", "Bayview", "Harbor Point", "Mill Creek", "Stony Brook", "Willow Bend", "Pine Ridge", "Forest Park", "Meadowbrook",
	"Crestview", "Glenwood", "Kingsley", "Lincoln Heights", "Washington Park", "Jefferson", "Franklin Square", "Garfield", "Roosevelt", "Madison Park",
	"Eastgate", "Westgate", "Southgate", "Northgate", "Old Town", "New Town", "Market Street", "Main Street", "Broadway", "Central",
	"Ironbound", "Rosewood", "Ashland", "Belmont", "Chestnut Hill", "Clearwater", "Deer Park", "Edgewater", "Fox Run", "Grandview",
	"Hampton", "Ivy Hill", "Juniper", "Kenwood", "Laurel", "Magnolia", "Norwood", "Orchard", "Prospect", "Quarry Hill",
	"Ravenswood", "Sherwood", "Tanglewood", "University", "Valley View", "Wildwood", "Woodlawn", "Yorkshire", "Beacon Hill", "Canal Street",
	"Dockside", "East End", "West End", "South End", "North End", "Fairmount", "Gateway", "Heritage", "Liberty", "Mission",
	"Oakdale", "Parkside", "Summit", "Terrace", "Vista", "Windsor", "Arbor", "Bridgeport", "College Hill", "Springfield",
	"Green Valley", "Silver Lake", "Rolling Hills", "Sandy Creek", "Twin Oaks", "Red Oak", "Blue Ridge", "Golden Gate", "Cypress", "Sycamore",
}

// virtues start some organization names ("Open Door Legal Aid Society").
var virtues = []string{
	"Hope", "New Beginnings", "Open Door", "Harvest", "Bridges", "Unity", "Compass", "Lighthouse", "Cornerstone", "Common Ground",
	"Good Shepherd", "Second Chance", "Helping Hands", "Pathways", "Safe Haven", "Neighbors United", "Brighter Futures", "Keystone",
	"Anchor", "Horizon", "Wellspring", "Mosaic", "Evergreen", "Beacon", "Sunrise", "Threshold", "Kinship", "Open Arms", "Vine Street", "Northstar",
}

// orgAdjectives sit between a place and an organization noun.
var orgAdjectives = []string{
	"Community", "Family", "Neighborhood", "Regional", "United", "Metro", "Interfaith", "People's", "Citizens", "Area",
	"Youth and Family", "Community Action", "Mutual Aid", "Cooperative", "Public",
}

var streets = []string{
	"Main", "Oak", "Maple", "Cedar", "Elm", "Washington", "Lincoln", "Jefferson", "Park", "Lake", "Hill", "Pine", "Walnut",
	"Market", "Broad", "Church", "Union", "Franklin", "Madison", "Grand", "Spring", "Center", "Highland", "Sunset",
	"Martin Luther King Jr.", "Cesar Chavez", "1st", "2nd", "3rd", "4th", "5th", "7th", "12th", "Chestnut", "Willow",
	"Jackson", "Monroe", "Adams", "River", "Mill", "Bridge", "College", "Liberty", "Prospect", "Harrison", "Cherry",
	"Poplar", "Magnolia", "Lafayette", "Central", "Fairview", "Water", "Front", "Commerce", "Industrial", "Riverside",
}

var streetSuffixes = []string{"St", "Ave", "Blvd", "Rd", "Dr", "Way", "Pl", "Ln", "Pkwy", "Ct"}

var suites = []string{"Suite 100", "Suite 200", "Suite 210", "Suite 300", "Floor 2", "Floor 3", "Room 104", "Room 12", "Unit B", "Building C", "Lower Level", "Rear entrance"}

// siteNouns end location names ("Riverside Center").
var siteNouns = []string{"Center", "Office", "Campus", "Site", "Hub", "Clinic", "Branch", "Annex", "Community Room", "Resource Center", "Outreach Office", "Family Center"}

var firstNames = []string{
	"Maria", "James", "Aisha", "Wei", "Carlos", "Linh", "Fatima", "David", "Grace", "Jamal", "Sofia", "Michael", "Priya", "Andre",
	"Elena", "Kevin", "Nadia", "Luis", "Hannah", "Omar", "Rosa", "Daniel", "Mei", "Tyrone", "Ana", "Samuel", "Leila", "Jorge",
	"Keisha", "Thomas", "Yuki", "Ibrahim", "Lauren", "Marcus", "Ngoc", "Patricia", "Rafael", "Amina", "Brian", "Camille",
}

var lastNames = []string{
	"Garcia", "Johnson", "Nguyen", "Smith", "Rodriguez", "Williams", "Chen", "Brown", "Hernandez", "Jones", "Kim", "Lopez",
	"Davis", "Martinez", "Tran", "Wilson", "Gonzalez", "Patel", "Anderson", "Perez", "Thomas", "Ali", "Jackson", "Rivera",
	"Lee", "Washington", "Santos", "Clark", "Ramirez", "Lewis", "Cruz", "Walker", "Hassan", "Young", "Flores", "Baptiste",
}

var accessibility = []struct{ Description, Details string }{
	{"Wheelchair accessible entrance", "Step-free entrance with an automatic door on the main side of the building."},
	{"Accessible restroom", "Single-user accessible restroom on the ground floor."},
	{"Elevator", "Elevator to all floors; ask at the front desk if it is out of service."},
	{"Accessible parking", "Two accessible parking spaces next to the entrance."},
	{"Hearing loop", "Induction hearing loop at the reception desk."},
	{"Braille and large-print signage", "Room signs in Braille and large print."},
	{"Service animals welcome", "Service animals are welcome throughout the building."},
	{"Sign language interpretation", "ASL interpreters can be booked with three days' notice."},
	{"Quiet room", "A quiet room is available for people who need a calmer space while they wait."},
	{"Ramp access", "Ramp at the side entrance; ring the bell for assistance."},
}

var transportation = []string{
	"Served by several city bus routes; the nearest stop is one block away.",
	"A ten-minute walk from the nearest light rail station.",
	"Free parking in the lot behind the building.",
	"Street parking only; metered on weekdays.",
	"Bike racks at the entrance.",
	"Paratransit drop-off at the front door.",
	"Across the street from the main bus transfer center.",
	"Free parking and a bus stop at the corner.",
}

// accessSentences say how to get a service.
var accessSentences = []string{
	"Walk-ins are welcome during open hours.",
	"Call ahead to make an appointment.",
	"Apply online or by phone; staff will call you back within two business days.",
	"Referrals from a caseworker are welcome but not required.",
	"Bring the documents listed below to your first visit.",
	"All services are confidential.",
	"Arrive early: people are seen in the order they arrive.",
	"Text or call to join the waitlist.",
	"Intake takes about 30 minutes.",
	"Same-day appointments are often available.",
	"No appointment is needed for a first visit.",
	"A short screening over the phone comes before the first appointment.",
}

var applicationProcesses = []string{
	"Walk in during open hours.",
	"Call to schedule an intake appointment.",
	"Complete the online application, then call to confirm.",
	"Referral from a caseworker, school or clinic.",
	"Apply in person with the required documents.",
	"Call the intake line; a staff member will screen you over the phone.",
}

var waitTimes = []string{"No wait", "Same day", "1 to 3 days", "About one week", "2 to 4 weeks", "Waitlist; call for current wait"}

// orgKinds describe an organization in its first sentence; the index matches
// legalStatuses and taxStatuses.
var orgKinds = []string{"nonprofit", "community-based nonprofit", "faith-based nonprofit", "public agency", "volunteer-run organization", "community health nonprofit"}

var legalStatuses = []string{"Nonprofit corporation", "Nonprofit corporation", "Religious nonprofit corporation", "Government agency", "Unincorporated association", "Nonprofit corporation"}

var taxStatuses = []string{"501(c)(3)", "501(c)(3)", "501(c)(3)", "Government entity", "Fiscally sponsored", "501(c)(3)"}

var missionVerbs = []string{"serves", "supports", "works alongside", "advocates for", "stands with", "helps"}

var orgClosers = []string{
	"We rely on volunteers, local donors and partner agencies.",
	"Most of our staff live in the neighborhoods we serve.",
	"We partner with schools, clinics and faith communities across the region.",
	"Every program is shaped by an advisory board of people who use our services.",
	"We are a member of the local continuum of care and the regional food and health coalitions.",
	"Our offices are open on weekdays and some evenings.",
	"We have received a four-star rating from an independent charity evaluator.",
	"Volunteers are always welcome; call to learn about opportunities.",
	"We were founded by neighbors who saw a need and decided to meet it.",
	"Services are offered without regard to race, religion, immigration status or ability to pay.",
}

var serviceOpeners = []string{"provides", "offers", "delivers"}

var generalDocs = []string{
	"Photo ID", "Proof of address", "Proof of income", "Social Security card or number",
	"Birth certificate for each child", "Proof of household size", "Any recent benefit letters",
}

var generalFunding = []string{
	"United Way", "County general fund", "State human services grant", "Private foundation grant",
	"Individual donors", "Community Development Block Grant", "Corporate sponsors", "City of residence",
}

var contactTitles = []string{"Program Coordinator", "Intake Specialist", "Case Manager", "Program Director", "Outreach Worker", "Volunteer Coordinator", "Navigator"}

var interpretation = []string{
	"Telephone interpretation is available in more than 200 languages at no cost.",
	"Bilingual staff on site; interpreters for other languages by appointment.",
	"ASL interpretation available with advance notice.",
	"Video remote interpretation available at every visit.",
}

var inactiveAlerts = []string{
	"This service has ended; call the main office for referrals.",
	"Program paused while funding is renewed.",
}

var closedAlerts = []string{
	"Temporarily closed for renovations; services continue at our other sites.",
	"Temporarily closed due to staffing; call before visiting.",
	"Closed until further notice after storm damage to the building.",
}
