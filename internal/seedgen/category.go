package seedgen

import (
	"strings"

	"github.com/linkage-org/linkage/internal/hsds"
)

// category is a family of services with its own vocabulary. A top-level
// taxonomy term is mapped to one by the words of its name (or, failing
// that, its code), so names and descriptions agree with the attributes.
type category struct {
	Key        string
	Words      []string // matched at the start of a word of the term name, lowercased
	Codes      []string // AIRS/211-style code prefixes; the longest match wins
	Weight     float64  // share of services
	OrgNouns   []string
	Nouns      []string // service names end with one of these
	Activities []string // noun phrases: "free groceries and fresh produce"
	Details    []string // whole sentences
	Docs       []string
	Pops       []int   // indexes into populations, repeated for weight
	Free       float64 // share of services that cost nothing
	FeeOption  string
	FeeAmounts []float64
	Virtual    float64 // share delivered by phone or online only
	AllDay     float64 // share open 24/7
	Funding    []string
	Licenses   string
}

// categories: order matters for word matching (mental health before
// health, housing before crisis); the generic fallback is last.
var categories = []category{
	{
		Key: "substance", Weight: 5,
		Words:      []string{"substance", "addiction", "alcohol", "drug", "recovery", "opioid", "sobriety", "harm reduction"},
		Codes:      []string{"RX"},
		OrgNouns:   []string{"Recovery Center", "Addiction Services", "Harm Reduction Coalition", "Recovery Community Organization", "Treatment Center"},
		Nouns:      []string{"Outpatient Treatment", "Detox Services", "Medication for Opioid Use Disorder", "Recovery Coaching", "Naloxone Distribution", "Syringe Services", "Sober Living Referrals", "12-Step Meetings", "Intensive Outpatient Program", "Family Recovery Support"},
		Activities: []string{"outpatient treatment for alcohol and drug use", "medication for opioid use disorder", "free naloxone and overdose prevention training", "peer recovery coaching", "clean syringes and testing supplies", "referrals to sober living homes"},
		Details: []string{"Buprenorphine can often be started on the first visit.", "Peer recovery coaches are available every day.", "Naloxone kits are free and no questions are asked.",
			"Treatment plans are built with each participant.", "Family members can join a weekly support group.", "Records are kept confidential under federal privacy rules."},
		Docs:       []string{"Photo ID", "Insurance card if you have one"},
		Pops:       []int{popAdults, popAdults, popAdults, popAdults, popAll, popAll, popYouth, popVeterans, popWomen, popHomeless},
		Free:       0.6,
		FeeOption:  "Per session",
		FeeAmounts: []float64{10, 25, 40},
		Virtual:    0.1, AllDay: 0.1,
		Funding:  []string{"State opioid response grant", "SAMHSA block grant", "Opioid settlement funds"},
		Licenses: "Licensed by the state office of substance use services",
	},
	{
		Key: "mental", Weight: 9,
		Words:      []string{"mental", "behavioral", "behavioural", "counseling", "counselling", "psychiatr", "therapy", "wellbeing", "well being", "emotional"},
		Codes:      []string{"R"},
		OrgNouns:   []string{"Counseling Center", "Behavioral Health Services", "Mental Health Association", "Wellness Collaborative", "Family Guidance Center"},
		Nouns:      []string{"Counseling Services", "Support Groups", "Psychiatric Care", "Peer Support", "Trauma Therapy", "Grief Support", "Family Therapy", "Mental Health First Aid Training", "Walk-In Counseling", "Anxiety and Depression Group", "Care Coordination", "Wellness Recovery Program"},
		Activities: []string{"individual and family counseling", "peer-led support groups", "psychiatric evaluation and medication management", "trauma-informed therapy", "grief and loss support", "short-term counseling without a waitlist"},
		Details: []string{"Licensed therapists offer sessions in person and by video.", "Groups meet weekly and are free to join at any time.", "Peer specialists have lived experience of mental health recovery.",
			"Medicaid and most private insurance are accepted.", "Evening appointments are available for people who work during the day.", "Care coordinators help with housing, benefits and other needs that affect wellbeing."},
		Docs:       []string{"Insurance card if you have one", "Photo ID", "Referral letter if you have one"},
		Pops:       []int{popAll, popAll, popAdults, popAdults, popAdults, popYouth, popTeens, popTeens, popChildren, popSeniors, popVeterans, popLGBTQ, popWomen},
		Free:       0.55,
		FeeOption:  "Per session",
		FeeAmounts: []float64{15, 30, 45, 60, 80},
		Virtual:    0.15, AllDay: 0.03,
		Funding:  []string{"County behavioral health contract", "SAMHSA grant", "Medicaid"},
		Licenses: "Licensed by the state office of mental health",
	},
	{
		Key: "childcare", Weight: 5,
		Words:      []string{"child care", "childcare", "daycare", "day care", "early childhood", "preschool", "early learning", "head start", "parenting"},
		Codes:      []string{"PH-1250"},
		OrgNouns:   []string{"Child Development Center", "Early Learning Center", "Family Resource Center", "Head Start", "Parent Network"},
		Nouns:      []string{"Child Care", "Head Start", "Preschool", "Before and After School Care", "Childcare Subsidy Help", "Parenting Classes", "Infant and Toddler Care", "Play and Learn Group", "Home Visiting Program", "Summer Day Camp", "Drop-In Childcare"},
		Activities: []string{"full-day child care", "free preschool for three- and four-year-olds", "help paying for child care", "parenting classes and home visits", "before- and after-school care", "play groups for babies and toddlers"},
		Details: []string{"Teachers hold early childhood education credentials.", "Meals and snacks are included.", "Families who qualify may pay nothing through the state subsidy program.",
			"Home visitors meet with parents every other week.", "Spaces fill quickly, so join the waitlist early.", "Classrooms are run in English and in Spanish."},
		Docs:       []string{"Child's birth certificate", "Immunization record", "Proof of income", "Proof of work or school schedule"},
		Pops:       []int{popEarlyChildhood, popEarlyChildhood, popEarlyChildhood, popEarlyChildhood, popFamilies, popFamilies, popFamilies, popChildren, popChildren},
		Free:       0.35,
		FeeOption:  "Per week",
		FeeAmounts: []float64{75, 120, 150, 185, 210, 250},
		Virtual:    0.03,
		Funding:    []string{"Child Care Development Fund", "Head Start grant", "State pre-K program"},
		Licenses:   "Licensed by the state child care licensing agency",
	},
	{
		Key: "food", Weight: 14,
		Words:      []string{"food", "nutrition", "meal", "hunger", "grocer", "pantr", "snap ", "wic "},
		Codes:      []string{"BD"},
		OrgNouns:   []string{"Food Bank", "Food Pantry Network", "Hunger Relief Network", "Community Kitchen", "Meals Coalition", "Food Shelf", "Harvest Center"},
		Nouns:      []string{"Food Pantry", "Hot Meals", "SNAP Application Help", "Mobile Food Market", "Grocery Delivery", "Community Fridge", "Meal Program", "WIC Enrollment Help", "Produce Distribution", "Weekend Backpack Program", "Community Dinner", "Breakfast Program", "Food Box Pickup", "Nutrition Classes", "Soup Kitchen"},
		Activities: []string{"free groceries and fresh produce", "hot, nutritious meals", "help applying for SNAP benefits", "emergency food boxes", "home-delivered meals", "fresh fruit and vegetables", "culturally familiar staple foods", "weekend food bags for students", "baby formula and diapers", "nutrition education and cooking demonstrations"},
		Details: []string{"Shoppers choose their own food, much like in a small grocery store.", "Fresh produce arrives from local farms twice a week.", "Vegetarian, halal and diabetic-friendly options are available on request.",
			"Households may visit once a week.", "Volunteers can help carry groceries to your car.", "Benefits counselors can screen you for SNAP and WIC on the spot.",
			"Meals are served family style and everyone is welcome to stay and eat.", "Home delivery is available for people who cannot leave home.", "No one is turned away for lack of documents on a first visit."},
		Docs:       []string{"Proof of address", "Photo ID for the head of household", "SNAP or WIC card if you have one"},
		Pops:       []int{popAll, popAll, popAll, popAll, popLowIncome, popLowIncome, popLowIncome, popSeniors, popSeniors, popFamilies, popFamilies, popChildren, popHomeless, popVeterans},
		Free:       0.92,
		FeeOption:  "Per box",
		FeeAmounts: []float64{5, 10, 15},
		Virtual:    0.04, AllDay: 0.01,
		Funding: []string{"USDA TEFAP", "Feeding America partner grant", "Local grocery partners"},
	},
	{
		Key: "housing", Weight: 12,
		Words:      []string{"housing", "shelter", "homeless", "rent", "eviction", "tenant", "home repair"},
		Codes:      []string{"BH"},
		OrgNouns:   []string{"Housing Coalition", "Housing Authority", "Shelter Network", "Tenant Union", "Housing Services", "Homeless Services", "Home Partners"},
		Nouns:      []string{"Rent Assistance", "Emergency Shelter", "Eviction Prevention", "Rapid Rehousing", "Housing Navigation", "Tenant Rights Counseling", "Transitional Housing", "Security Deposit Help", "Home Repair Program", "Housing Search Assistance", "Permanent Supportive Housing", "Family Shelter", "Warming Center", "Homebuyer Classes", "Foreclosure Counseling"},
		Activities: []string{"one-time help with back rent", "emergency shelter beds", "help finding and keeping housing", "case management for people leaving homelessness", "security deposits and first month's rent", "legal information for tenants facing eviction", "minor home repairs for owners on fixed incomes", "housing search and landlord mediation"},
		Details: []string{"Beds are assigned each evening on a first-come, first-served basis.", "Case managers help residents build a plan to move into stable housing.", "Assistance is paid directly to the landlord.",
			"Guests can store belongings, shower and do laundry on site.", "Pets are welcome in designated rooms.", "Applicants must show that they are behind on rent or have received a notice.",
			"Housing navigators keep a current list of landlords who accept vouchers."},
		Docs:       []string{"Lease or rental agreement", "Eviction notice or past-due rent notice", "Proof of income for the last 30 days", "Landlord contact information"},
		Pops:       []int{popAll, popAll, popLowIncome, popLowIncome, popLowIncome, popHomeless, popHomeless, popHomeless, popFamilies, popFamilies, popVeterans, popVeterans, popYouth, popSeniors, popWomen, popDisability, popLGBTQ},
		Free:       0.85,
		FeeOption:  "Application fee",
		FeeAmounts: []float64{25, 35, 50},
		Virtual:    0.08, AllDay: 0.15,
		Funding: []string{"HUD Continuum of Care", "Emergency Solutions Grant", "Housing trust fund"},
	},
	{
		Key: "utilities", Weight: 5,
		Words:      []string{"utilit", "energy", "heating", "electric", "water bill", "weatheriz", "liheap"},
		Codes:      []string{"BV"},
		OrgNouns:   []string{"Energy Assistance Program", "Weatherization Services", "Community Action Agency", "Utility Help Fund"},
		Nouns:      []string{"Utility Bill Assistance", "Energy Assistance", "Weatherization Program", "Water Bill Help", "Shutoff Prevention", "Lifeline Phone Program", "Home Energy Audit", "Internet Discount Enrollment", "Cooling Assistance", "Heating Repair Help"},
		Activities: []string{"help paying overdue electric, gas and water bills", "free home weatherization", "energy assistance through LIHEAP", "discounted phone and internet service", "emergency furnace repair", "shutoff prevention"},
		Details: []string{"Payments are made directly to the utility company.", "Priority goes to households with a shutoff notice.", "Weatherization crews add insulation and seal drafts at no cost.",
			"Households can apply once each program year.", "Staff help you set up an affordable payment plan."},
		Docs:       []string{"Most recent utility bill", "Shutoff notice if you have one", "Proof of income for everyone in the household", "Photo ID"},
		Pops:       []int{popLowIncome, popLowIncome, popLowIncome, popLowIncome, popSeniors, popSeniors, popFamilies, popDisability, popAll},
		Free:       0.9,
		FeeOption:  "Application fee",
		FeeAmounts: []float64{10},
		Virtual:    0.12,
		Funding:    []string{"LIHEAP", "Utility company assistance fund", "Department of Energy weatherization grant"},
	},
	{
		Key: "goods", Weight: 5,
		Words:      []string{"clothing", "clothes", "material", "goods", "furniture", "diaper", "household", "hygiene"},
		Codes:      []string{"BM"},
		OrgNouns:   []string{"Clothing Closet", "Community Thrift", "Diaper Bank", "Furniture Bank", "Resource Exchange"},
		Nouns:      []string{"Clothing Closet", "Diaper Distribution", "Furniture Bank", "Hygiene Kits", "School Supply Drive", "Winter Coat Drive", "Baby Supplies", "Household Goods", "Free Store", "Work Clothing"},
		Activities: []string{"free clothing for all ages", "diapers and baby supplies", "donated furniture and household goods", "hygiene kits", "school supplies and backpacks", "winter coats, hats and gloves"},
		Details: []string{"Shoppers can pick out up to ten items per visit.", "Furniture is delivered with a referral from a caseworker.", "Professional clothing is available for job interviews.",
			"Donations are accepted during open hours.", "Diapers are given out in sizes newborn through 6."},
		Docs:       []string{"Proof of address", "Referral from a caseworker for furniture"},
		Pops:       []int{popAll, popAll, popAll, popFamilies, popFamilies, popLowIncome, popLowIncome, popHomeless, popChildren, popAdults},
		Free:       0.85,
		FeeOption:  "Delivery fee",
		FeeAmounts: []float64{25, 40, 50},
		Virtual:    0.02,
		Funding:    []string{"Local donors", "Retail partners", "Faith community support"},
	},
	{
		Key: "transportation", Weight: 4,
		Words:      []string{"transport", "transit", "ride", "bus ", "travel", "mobility"},
		Codes:      []string{"BT"},
		OrgNouns:   []string{"Transit Partners", "Mobility Services", "Ride Connection", "Transportation Collaborative"},
		Nouns:      []string{"Medical Rides", "Reduced Fare Bus Pass", "Paratransit", "Volunteer Driver Program", "Bike Repair Clinic", "Gas Card Assistance", "Car Repair Help", "Rides to Work", "Travel Training"},
		Activities: []string{"free rides to medical appointments", "reduced-fare transit passes", "door-to-door paratransit", "volunteer drivers for errands and appointments", "help with car repairs"},
		Details: []string{"Rides must be booked at least two business days ahead.", "Drivers help riders to and from the door.", "Vehicles are wheelchair accessible.",
			"Reduced-fare passes are issued on the spot.", "Travel trainers teach riders how to use buses and trains."},
		Docs:       []string{"Photo ID", "Proof of disability or age for reduced fares", "Appointment details"},
		Pops:       []int{popSeniors, popSeniors, popSeniors, popDisability, popDisability, popDisability, popAll, popLowIncome, popVeterans, popAdults},
		Free:       0.55,
		FeeOption:  "Per ride",
		FeeAmounts: []float64{1, 2, 2.5, 3.5, 5},
		Virtual:    0.05,
		Funding:    []string{"Federal Transit Administration grant", "Area Agency on Aging", "Transit agency partnership"},
	},
	{
		Key: "health", Weight: 11,
		Words:      []string{"health", "medical", "clinic", "dental", "primary care", "vision", "pharmac", "prenatal", "hospital", "medicine"},
		Codes:      []string{"L"},
		OrgNouns:   []string{"Health Center", "Community Clinic", "Free Clinic", "Health Services", "Family Health Center", "Medical Mission", "Wellness Center"},
		Nouns:      []string{"Primary Care Clinic", "Dental Clinic", "Vision Screening", "Prenatal Care", "Vaccination Clinic", "Health Insurance Enrollment", "Mobile Health Van", "Diabetes Education", "Pharmacy Assistance", "Reproductive Health Services", "Well-Child Visits", "Chronic Disease Management", "HIV Testing", "Blood Pressure Screening", "Urgent Care Clinic", "Hearing Screening"},
		Activities: []string{"primary medical care", "dental cleanings and fillings", "eye exams and low-cost glasses", "vaccinations for children and adults", "help enrolling in Medicaid and marketplace plans", "free health screenings", "prescription assistance", "prenatal and postpartum care"},
		Details: []string{"Patients are seen regardless of insurance status.", "The clinic is a federally qualified health center.", "Bilingual medical assistants help at every visit.",
			"Lab work and X-rays are done on site.", "Telehealth visits are available for follow-ups.", "Certified application counselors can help you choose a health plan.",
			"Same-day sick visits are held every morning.", "A pharmacy on site fills prescriptions at reduced cost."},
		Docs:       []string{"Insurance card if you have one", "Photo ID", "List of current medications", "Proof of income for sliding-scale fees"},
		Pops:       []int{popAll, popAll, popAll, popLowIncome, popLowIncome, popAdults, popAdults, popChildren, popChildren, popSeniors, popWomen, popImmigrants, popLGBTQ, popEarlyChildhood},
		Free:       0.5,
		FeeOption:  "Per visit",
		FeeAmounts: []float64{20, 25, 35, 40, 60},
		Virtual:    0.07, AllDay: 0.03,
		Funding:  []string{"HRSA health center grant", "Medicaid", "State health department"},
		Licenses: "Licensed by the state department of health",
	},
	{
		Key: "legal", Weight: 6,
		Words:      []string{"legal", "law", "justice", "immigration", "court", "rights", "attorney"},
		Codes:      []string{"F"},
		OrgNouns:   []string{"Legal Aid Society", "Law Center", "Legal Services", "Justice Project", "Immigrant Rights Center", "Tenant Law Project"},
		Nouns:      []string{"Legal Advice Clinic", "Immigration Legal Services", "Expungement Clinic", "Eviction Defense", "Family Law Clinic", "Benefits Appeals", "Know Your Rights Workshop", "Debt Defense", "Consumer Law Help", "Naturalization Workshop", "Wills and Advance Directives", "Protective Order Advocacy"},
		Activities: []string{"free legal advice", "help sealing or expunging criminal records", "representation in eviction court", "help with immigration applications and DACA renewals", "appeals of denied public benefits", "help with custody, divorce and child support"},
		Details: []string{"Volunteer attorneys meet with clients for free half-hour consultations.", "Cases are accepted based on income and the type of legal problem.", "Staff attorneys can represent clients in court.",
			"Workshops explain your rights in plain language.", "Bring every letter or court paper you have received.", "DOJ-accredited representatives help with immigration forms."},
		Docs:       []string{"Court papers or notices you have received", "Photo ID", "Proof of income", "Immigration documents if you have them"},
		Pops:       []int{popAll, popAll, popLowIncome, popLowIncome, popLowIncome, popImmigrants, popImmigrants, popSeniors, popVeterans, popWomen, popYouth},
		Free:       0.7,
		FeeOption:  "Consultation",
		FeeAmounts: []float64{25, 50, 75},
		Virtual:    0.15,
		Funding:    []string{"Legal Services Corporation", "State bar foundation", "IOLTA grant"},
	},
	{
		Key: "employment", Weight: 7,
		Words:      []string{"employment", "job", "work", "career", "income", "financial", "vocational", "tax prep"},
		Codes:      []string{"N"},
		OrgNouns:   []string{"Workforce Center", "Job Training Institute", "Career Center", "Employment Services", "Economic Opportunity Council", "Financial Empowerment Center"},
		Nouns:      []string{"Job Search Help", "Resume Workshop", "Job Training Program", "Career Coaching", "Apprenticeship Program", "Free Tax Preparation", "Financial Coaching", "Benefits Screening", "Digital Skills Class", "Hiring Events", "Reentry Employment Program", "Work Readiness Program"},
		Activities: []string{"job search help and interview coaching", "paid training in construction, health care and technology", "free tax preparation", "one-on-one financial coaching", "help applying for unemployment and other benefits", "resume writing and online applications"},
		Details: []string{"Career coaches meet with job seekers one on one.", "Training cohorts start every eight weeks and include a stipend.", "Computers and printers are free to use for job searching.",
			"Employers recruit on site at monthly hiring events.", "IRS-certified volunteers prepare and e-file returns.", "Participants can earn industry-recognized certificates."},
		Docs:       []string{"Photo ID", "Social Security card", "Resume if you have one", "Last year's tax forms (W-2, 1099)"},
		Pops:       []int{popAdults, popAdults, popAdults, popAdults, popAll, popAll, popYouth, popYouth, popVeterans, popImmigrants, popLowIncome, popLowIncome, popDisability},
		Free:       0.8,
		FeeOption:  "Per course",
		FeeAmounts: []float64{25, 50, 100},
		Virtual:    0.15,
		Funding:    []string{"WIOA grant", "State workforce board", "Employer partners"},
	},
	{
		Key: "education", Weight: 6,
		Words:      []string{"education", "school", "literacy", "learning", "ged ", "esl ", "tutor", "class", "library"},
		Codes:      []string{"H"},
		OrgNouns:   []string{"Learning Center", "Literacy Council", "Education Alliance", "Adult School", "Tutoring Project", "Reading Program"},
		Nouns:      []string{"GED Classes", "English Classes", "Tutoring", "After-School Program", "Adult Literacy", "Homework Help", "Citizenship Classes", "Summer Learning Program", "Computer Classes", "College Application Help", "Reading Buddies", "STEM Club"},
		Activities: []string{"GED preparation", "English as a second language classes", "free tutoring in math and reading", "after-school programs", "help applying to college and for financial aid", "basic computer skills"},
		Details: []string{"Classes are small and grouped by level.", "Childcare is provided during evening classes.", "Students can take the GED test on site.",
			"Tutors are trained volunteers and certified teachers.", "Snacks are provided at every session.", "Laptops can be borrowed for the length of the course."},
		Docs:       []string{"Photo ID", "School enrollment form", "Report card or transcript"},
		Pops:       []int{popAdults, popAdults, popYouth, popYouth, popChildren, popChildren, popTeens, popTeens, popImmigrants, popImmigrants, popAll, popFamilies, popSeniors},
		Free:       0.65,
		FeeOption:  "Per term",
		FeeAmounts: []float64{20, 40, 60, 120},
		Virtual:    0.15,
		Funding:    []string{"Adult education grant", "School district partnership", "Library foundation"},
	},
	{
		Key: "crisis", Weight: 5,
		Words:      []string{"crisis", "emergenc", "hotline", "violence", "disaster", "safety", "abuse", "suicide"},
		Codes:      []string{"RP-1500", "TH"},
		OrgNouns:   []string{"Crisis Center", "Safe House", "Crisis Services", "Domestic Violence Coalition", "Family Safety Network", "Disaster Relief Committee"},
		Nouns:      []string{"Crisis Line", "Domestic Violence Shelter", "Mobile Crisis Team", "Suicide Prevention Line", "Sexual Assault Advocacy", "Disaster Relief Assistance", "Crisis Stabilization Unit", "Safety Planning", "Crisis Text Line", "Emergency Financial Assistance", "Victim Advocacy", "Child Abuse Hotline"},
		Activities: []string{"immediate support by phone, text and chat", "confidential shelter for survivors of domestic violence", "mobile crisis response at home or in the community", "safety planning and advocacy", "emergency help after fires and floods", "short-term crisis stabilization"},
		Details: []string{"Trained counselors answer every call, day or night.", "The shelter location is confidential.", "Advocates can go with survivors to the hospital or to court.",
			"Mobile teams respond within an hour in most of the county.", "No insurance or ID is needed.", "Callers can remain anonymous."},
		Pops:       []int{popAll, popAll, popAll, popAll, popWomen, popWomen, popAdults, popYouth, popTeens, popLGBTQ, popVeterans},
		Free:       0.95,
		FeeOption:  "Per night",
		FeeAmounts: []float64{5},
		Virtual:    0.3, AllDay: 0.45,
		Funding: []string{"VOCA grant", "Violence Against Women Act grant", "988 Lifeline network"},
	},
	{
		Key: "generic", Weight: 6,
		OrgNouns:   []string{"Community Services", "Neighborhood Center", "Community Center", "Settlement House", "Family Services", "Resource Center", "Human Services Council"},
		Nouns:      []string{"Case Management", "Benefits Enrollment", "Information and Referral", "Community Resource Desk", "Family Support Services", "Navigation Services", "Senior Center Activities", "Volunteer Program", "Youth Mentoring", "Community Navigator"},
		Activities: []string{"case management", "help enrolling in public benefits", "information and referral", "one-on-one navigation to local resources", "family support", "community programs and activities"},
		Details: []string{"Navigators help people sort out several needs in one visit.", "Staff can help fill out applications for benefits.", "Programs change with the seasons; call for the current schedule.",
			"Community rooms are available for neighborhood meetings.", "A resource desk is staffed during all open hours."},
		Pops:       []int{popAll, popAll, popAll, popLowIncome, popFamilies, popSeniors, popYouth, popAdults, popImmigrants, popDisability},
		Free:       0.7,
		FeeOption:  "Membership",
		FeeAmounts: []float64{10, 20, 25},
		Virtual:    0.08, AllDay: 0.01,
		Funding: generalFunding,
	},
}

// classify maps a term to a category by the words of its name, then by its
// code; nil when neither says anything.
func classify(name, code string) *category {
	norm := wordsOf(name)
	for i := range categories {
		for _, w := range categories[i].Words {
			if strings.Contains(norm, " "+w) {
				return &categories[i]
			}
		}
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	var best *category
	bestLen := 0
	for i := range categories {
		for _, c := range categories[i].Codes {
			if len(c) > bestLen && strings.HasPrefix(code, c) {
				best, bestLen = &categories[i], len(c)
			}
		}
	}
	return best
}

// wordsOf lowercases s and turns everything but letters and digits into
// single spaces, with a space at both ends, so " "+word matches word starts
// and " "+word+" " whole words.
func wordsOf(s string) string {
	var b strings.Builder
	b.WriteByte(' ')
	space := true
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r > 127 {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	if !space {
		b.WriteByte(' ')
	}
	return b.String()
}

// term is what a service needs of a taxonomy term.
type term struct{ ID, Name string }

// group is a set of child terms under one top-level term that share a
// category; a service draws its attributes from one group.
type group struct {
	Cat      *category
	Children []term
	Weight   float64
}

// buildGroups sorts the child terms (terms with a parent) by their
// top-level ancestor and category, in the order the terms are given. With
// no child terms, every category gets an empty group so services are still
// generated (without attributes).
func buildGroups(terms []hsds.TaxonomyTerm) []group {
	byID := make(map[string]*hsds.TaxonomyTerm, len(terms))
	for i := range terms {
		byID[terms[i].ID] = &terms[i]
	}
	type key struct{ root, cat string }
	index := map[key]int{}
	var groups []group
	for i := range terms {
		t := &terms[i]
		if t.ParentID == "" {
			continue
		}
		root := t
		for depth := 0; root.ParentID != "" && depth < 64; depth++ {
			p, ok := byID[root.ParentID]
			if !ok {
				break
			}
			root = p
		}
		var cat *category
		if root != t {
			cat = classify(root.Name, root.Code)
		}
		if cat == nil {
			cat = classify(t.Name, t.Code)
		}
		if cat == nil {
			cat = &categories[len(categories)-1]
		}
		k := key{root.ID, cat.Key}
		if root == t { // parent unknown: group by the missing parent's id
			k.root = t.ParentID
		}
		gi, ok := index[k]
		if !ok {
			gi = len(groups)
			index[k] = gi
			groups = append(groups, group{Cat: cat})
		}
		groups[gi].Children = append(groups[gi].Children, term{ID: t.ID, Name: strings.TrimSpace(t.Name)})
	}
	if len(groups) == 0 {
		for i := range categories {
			groups = append(groups, group{Cat: &categories[i]})
		}
	}
	// Each category keeps its share however many top-level terms map to it.
	perCat := map[string]int{}
	for _, g := range groups {
		perCat[g.Cat.Key]++
	}
	for i := range groups {
		groups[i].Weight = groups[i].Cat.Weight / float64(perCat[groups[i].Cat.Key])
	}
	return groups
}
