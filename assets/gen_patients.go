//go:build ignore

// gen_patients writes the sandbox's synthetic patients into sandbox/patients:
// for each, patient.json (the PDS Patient) and, for one with a Summary Care
// Record, documentreference.json (the DocumentReference searchset) and
// bundle.json (the SCR Bundle), each as the API serves it, in the shapes of the
// NHS's published examples; then superseded.json, invalidated.json and
// README.md.
//
// Everyone here is made up: names, addresses and records belong to no one.
// Telephone numbers are in Ofcom's ranges for drama (01632 960xxx, 07700
// 900xxx), e-mail addresses at example.com, and NHS numbers in the 900000xxxx
// test range of the NHS sandbox, with their modulus 11 check digits.
//
// Some records are built from NHS England's published SCR payloads
// (internal/nhscorpus, MIT, Crown copyright): their clinical content is kept,
// while the patient, author and practice are replaced by made-up ones and every
// UUID by one derived from the sandbox patient (see fromPublished).
//
// Run it with `go generate ./assets`. It is deterministic (every identifier is
// derived from the NHS number), so it rewrites the same files unless this file
// has changed. It leaves 9000000009, the NHS's published example, alone.
package main

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/scrterm/scr/internal/nhscorpus"
	"github.com/scrterm/scr/internal/sandbox/records"
)

const outDir = "sandbox/patients"

func main() {
	people := patients()
	for _, p := range people {
		dir := filepath.Join(outDir, p.nhs)
		check(os.MkdirAll(dir, 0o755))
		writeJSON(filepath.Join(dir, "patient.json"), pdsPatient(p))
		for _, f := range []string{"documentreference.json", "documentreference-outdated.json", "bundle.json", "LICENSE"} {
			check(removeIfExists(filepath.Join(dir, f)))
		}
		if p.scr == nil {
			continue
		}
		var bundle obj
		if p.scr.source != "" {
			bundle = fromPublished(p) // first: it sets the summary's date and the id it replaced
			lic, err := nhscorpus.Read("scr/LICENSE")
			check(err)
			check(os.WriteFile(filepath.Join(dir, "LICENSE"), lic, 0o644))
		} else if p.scr.consent != "No" { // an opted-out patient's record is never served
			bundle = scrBundle(p)
		}
		id := idsOf(p)
		writeJSON(filepath.Join(dir, "documentreference.json"), docRefBundle(p, id.scr, "", p.scr.created))
		if p.outdated != "" {
			// The SCR as it was a day before: the id of the record the current
			// one replaced, if the published record names it.
			old := cmp.Or(p.scr.replaces, uuid(p.nhs, "scr-outdated"))
			writeJSON(filepath.Join(dir, "documentreference-outdated.json"),
				docRefBundle(p, old, "outdated", p.scr.created.AddDate(0, 0, -1)))
		}
		if bundle != nil {
			writeJSON(filepath.Join(dir, "bundle.json"), bundle)
		}
	}
	writeJSON(filepath.Join(outDir, "superseded.json"), obj{{supersededNHS, nhsOf(people, "Kowalski")}})
	writeJSON(filepath.Join(outDir, "invalidated.json"), []string{invalidatedNHS})
	var outdated obj
	for _, p := range people {
		if p.outdated != "" {
			outdated = append(outdated, kv{p.nhs, p.outdated})
		}
	}
	writeJSON(filepath.Join(outDir, "outdated.json"), outdated)
	check(os.WriteFile(filepath.Join(outDir, "README.md"), readme(people), 0o644))
}

// NHS numbers retired from use.
var (
	supersededNHS  = nhsNumber("900000010") // superseded by Daniel Kowalski's
	invalidatedNHS = nhsNumber("900000012") // invalidated, no successor
)

// nhsNumber completes a nine-digit stem with its check digit.
func nhsNumber(stem string) string {
	d, ok := records.CheckDigit(stem)
	if !ok {
		log.Fatalf("%s: no check digit completes this stem", stem)
	}
	return stem + string(d)
}

// ---- The patients -------------------------------------------------------

type person struct {
	nhs           string
	what          string // what the patient exercises, for README.md
	prefix        string
	given         []string
	family        string
	nameFrom      string // start of the usual name's period
	oldNames      []oldName
	gender        string
	born          string
	died          string // deceasedDateTime
	multipleBirth int
	sensitive     bool
	veryRestrict  bool // meta.security V rather than R (implies sensitive)
	addresses     []addr
	phone, mobile string
	email         string
	gp            string // registered practice, ODS code
	pharmacy      string // nominated pharmacy, ODS code
	welsh         bool   // NHSCommunication: Welsh
	largePrint    bool   // ContactPreference: large print
	scr           *summary
	// outdated is when the DocumentReference search gives an SCR id whose
	// Bundle is empty: "once" (a session's first search) or "always".
	outdated string
}

type oldName struct {
	prefix   string
	given    []string
	family   string
	from, to string
}

type addr struct {
	lines    []string
	postcode string
	from, to string
}

type summary struct {
	consent  string // Ask, No or legacy Yes
	created  time.Time
	author   string // as the Author paragraph writes it: "PATEL, Anita (Dr)"
	practice string // "" leaves the Practice paragraph out
	withheld bool   // the "deliberately withheld" statement under the title
	sections []section

	// A record built from a published one (fromPublished) has these instead
	// of author, practice, withheld and sections.
	source   string                // its path in internal/nhscorpus/published
	rename   []string              // old, new, …: the people and places in it, made up instead
	edit     func(composition obj) // any change to the Composition beyond those
	replaces string                // set by fromPublished: the id the record replaced, if it says
}

func nhsOf(people []person, family string) string {
	for _, p := range people {
		if p.family == family {
			return p.nhs
		}
	}
	log.Fatalf("no patient %s", family)
	return ""
}

func patients() []person {
	return []person{
		{
			nhs: nhsNumber("900000001"), what: "allergies; current acute, repeat and discontinued repeat medication; diagnoses, results and treatments with structured entries",
			prefix: "Mr", given: []string{"Robert", "Alan"}, family: "Hargreaves", nameFrom: "1958-03-14",
			gender: "male", born: "1958-03-14",
			addresses: []addr{{[]string{"14 Kirkstall Mews", "Headingley", "Leeds", "West Yorkshire"}, "LS6 3QT", "2003-05-01", ""}},
			phone:     "01632960114", mobile: "07700900114", email: "robert.hargreaves@example.com",
			gp: "Y90017", pharmacy: "FX017",
			scr: &summary{
				consent: "Ask", created: at("2026-10-12T09:41"), author: "PATEL, Anita (Dr)",
				practice: "Headingley Lane Surgery, 2 Headingley Lane, Leeds, West Yorkshire, LS6 1BN.",
				sections: []section{
					allergies(
						allergy{"03-Feb-1994", "Penicillin allergy", "Certain", "Severe", "Anaphylaxis. Avoid all penicillins."},
						allergy{"19-Aug-2011", "Codeine adverse reaction", "Likely", "Moderate", "Vomiting"},
						allergy{"07-Jun-2018", "Latex allergy", "Certain", "Mild", "Contact dermatitis"},
					),
					acuteMeds("12-Oct-2025", "12-Oct-2026",
						med{date: "Prescribed: 28-Sep-2026", item: "Clarithromycin 500mg tablets", dose: "One To Be Taken Twice A Day For 7 Days", qty: "14 tablet"},
						med{date: "Prescribed: 03-Jul-2026", item: "Prednisolone 5mg tablets", dose: "Six To Be Taken Each Morning For 5 Days", qty: "30 tablet"},
					),
					repeatMeds(
						med{date: "Last Issued: 01-Oct-2026", item: "Metformin 500mg modified-release tablets", dose: "Two To Be Taken Each Evening With Food", qty: "56 tablet"},
						med{date: "Last Issued: 01-Oct-2026", item: "Ramipril 5mg capsules", dose: "One To Be Taken Each Day", qty: "28 capsule"},
						med{date: "Last Issued: 01-Oct-2026", item: "Atorvastatin 20mg tablets", dose: "One To Be Taken At Night", qty: "28 tablet"},
						med{date: "Last Issued: 14-Sep-2026", item: "Salbutamol 100micrograms/dose inhaler CFC free", dose: "Two Puffs When Required", qty: "200 dose"},
					),
					discontinuedMeds("12-Apr-2026", "12-Oct-2026",
						med{date: "Last Issued: 02-May-2026", item: "Simvastatin 40mg tablets", dose: "One To Be Taken At Night", qty: "28 tablet",
							stopped: "20-May-2026", reason: "Adverse reaction - muscle aches"},
						med{date: "Last Issued: 11-Apr-2026", item: "Amlodipine 5mg tablets", dose: "One To Be Taken Each Day", qty: "28 tablet",
							stopped: "02-Jun-2026", reason: "Ankle swelling"},
					),
					diagnoses(
						item{date: "18-Apr-2012", text: "Type 2 diabetes mellitus", info: "Problem; Significant Active", code: "44054006"},
						item{date: "02-Nov-2009", text: "Essential hypertension", info: "Problem; Significant Active", code: "59621000"},
						item{date: "10-Mar-1998", text: "Asthma", info: "Problem; Significant Active", code: "195967001"},
					),
					results(
						item{date: "15-Sep-2026", text: "Haemoglobin A1c level - IFCC standardised", info: "52 mmol/mol", code: "999791000000106", value: &quantity{52, "mmol/mol"}},
						item{date: "15-Sep-2026", text: "Estimated glomerular filtration rate", info: "74 mL/min/1.73m2", code: "80274001", value: &quantity{74, "mL/min/1.73m2"}},
					),
					treatments(
						item{date: "05-Oct-2026", text: "Seasonal influenza vaccination", info: "Left deltoid", code: "822851000000102"},
						item{date: "22-Jun-2021", text: "Right cataract extraction", info: "Leeds Eye Unit", code: "54885007"},
					),
				},
			},
		},
		{
			nhs: nhsNumber("900000002"), what: "sensitive (meta.security R): no address, telecom or GP on PDS; has an SCR",
			prefix: "Ms", given: []string{"Rebecca"}, family: "Stone", nameFrom: "1991-07-02",
			gender: "female", born: "1991-07-02", sensitive: true,
			scr: &summary{
				consent: "Ask", created: at("2026-08-03T15:12"), author: "OKONJO, Ruth (Dr)",
				sections: []section{
					allergies(allergy{"09-Mar-2019", "Ibuprofen adverse reaction", "Likely", "Moderate", "Bronchospasm"}),
					acuteMeds("03-Aug-2025", "03-Aug-2026"),
					repeatMeds(med{date: "Last Issued: 22-Jul-2026", item: "Sertraline 100mg tablets", dose: "One To Be Taken Each Day", qty: "28 tablet"}),
					discontinuedMeds("03-Feb-2026", "03-Aug-2026"),
				},
			},
		},
		{
			nhs: nhsNumber("900000003"), what: "no SCR: the DocumentReference search is an empty Bundle",
			prefix: "Mr", given: []string{"Thomas"}, family: "Brennan", nameFrom: "1985-11-30",
			gender: "male", born: "1985-11-30",
			addresses: []addr{{[]string{"Flat 3", "27 Lansdowne Road", "Hove", "East Sussex"}, "BN3 1FP", "2017-09-01", ""}},
			mobile:    "07700900033", gp: "Y90033",
		},
		{
			nhs: nhsNumber("900000004"), what: "opted out (SCR-ACSPermission No): the DocumentReference says so; the Bundle is refused",
			prefix: "Mrs", given: []string{"Grace", "Adaeze"}, family: "Okafor", nameFrom: "1998-08-22",
			oldNames: []oldName{{"Miss", []string{"Grace", "Adaeze"}, "Eze", "1972-05-19", "1998-08-21"}},
			gender:   "female", born: "1972-05-19",
			addresses: []addr{{[]string{"8 Ashdown Close", "Peckham", "London"}, "SE15 4QP", "2004-02-14", ""}},
			phone:     "01632960041", gp: "Y90041",
			scr: &summary{consent: "No", created: at("2026-06-30T11:05")},
		},
		{
			nhs: nhsNumber("900000006"), what: "\"No known allergies\"; Welsh speaker; Unicode given name",
			prefix: "Miss", given: []string{"Siân"}, family: "Llywelyn", nameFrom: "1999-02-11",
			gender: "female", born: "1999-02-11", welsh: true,
			addresses: []addr{{[]string{"11 Heol y Castell", "Treganna", "Cardiff"}, "CF11 9HW", "2021-08-01", ""}},
			mobile:    "07700900068", email: "sian.llywelyn@example.com", gp: "Y90068", pharmacy: "FX068",
			scr: &summary{
				consent: "Ask", created: at("2026-09-21T10:02"), author: "HUGHES, Gareth (Dr)",
				practice: "Meddygfa'r Castell, 1 Heol y Bont, Cardiff, CF11 9AA.",
				sections: []section{
					allergies(allergy{"21-Sep-2026", "No known allergies", "", "", ""}),
					acuteMeds("21-Sep-2025", "21-Sep-2026",
						med{date: "Prescribed: 04-Aug-2026", item: "Trimethoprim 200mg tablets", dose: "One To Be Taken Twice A Day For 3 Days", qty: "6 tablet"}),
					repeatMeds(med{date: "Last Issued: 12-Aug-2026", item: "Levonorgestrel 150microgram / Ethinylestradiol 30microgram tablets",
						dose: "One Daily For 21 Days Then 7 Day Break", qty: "63 tablet"}),
					discontinuedMeds("21-Mar-2026", "21-Sep-2026"),
				},
			},
		},
		{
			nhs: nhsNumber("900000007"), what: "additional information: long-term conditions, communication needs, care preferences, services and carers; a previous name and address whose periods ended; Unicode names",
			prefix: "Mrs", given: []string{"Zoë", "Anne"}, family: "Ashworth", nameFrom: "1971-06-12",
			oldNames: []oldName{{"Miss", []string{"Zoë", "Anne"}, "Brontë", "1948-09-23", "1971-06-11"}},
			gender:   "female", born: "1948-09-23", largePrint: true,
			addresses: []addr{
				{[]string{"Fernlea", "3 Moor Lane", "Haworth", "Keighley", "West Yorkshire"}, "BD22 8QJ", "2019-04-01", ""},
				{[]string{"22 Station Road", "Shipley", "West Yorkshire"}, "BD18 2JL", "1976-02-01", "2019-03-31"},
			},
			phone: "01632960076", gp: "Y90076", pharmacy: "FX076",
			scr: &summary{
				consent: "Ask", created: at("2026-11-02T16:20"), author: "MARSDEN, Claire (Dr)",
				practice: "Worth Valley Medical Practice, 9 Mill Hey, Haworth, Keighley, West Yorkshire, BD22 8NA.",
				sections: []section{
					allergies(allergy{"12-Mar-2015", "Aspirin allergy", "Certain", "Moderate", "Angioedema"}),
					acuteMeds("02-Nov-2025", "02-Nov-2026",
						med{date: "Prescribed: 18-Sep-2026", item: "Nitrofurantoin 50mg capsules", dose: "One To Be Taken Four Times A Day For 3 Days", qty: "12 capsule"}),
					repeatMeds(
						med{date: "Last Issued: 20-Oct-2026", item: "Levothyroxine sodium 75microgram tablets", dose: "One To Be Taken Each Morning", qty: "28 tablet"},
						med{date: "Last Issued: 20-Oct-2026", item: "Bisoprolol 2.5mg tablets", dose: "One To Be Taken Each Day", qty: "28 tablet"},
						med{date: "Last Issued: 20-Oct-2026", item: "Apixaban 5mg tablets", dose: "One To Be Taken Twice A Day", qty: "56 tablet"},
						med{date: "Last Issued: 20-Oct-2026", item: "Furosemide 40mg tablets", dose: "One To Be Taken Each Morning", qty: "28 tablet"},
					),
					discontinuedMeds("02-May-2026", "02-Nov-2026",
						med{date: "Last Issued: 30-Jun-2026", item: "Digoxin 125microgram tablets", dose: "One To Be Taken Each Day", qty: "28 tablet",
							stopped: "14-Jul-2026", reason: "Rate control achieved on bisoprolol"}),
					diagnoses(
						item{date: "20-May-2019", text: "Heart failure with reduced ejection fraction", info: "Long-term condition; Significant Active", code: "703272007"},
						item{date: "20-May-2019", text: "Atrial fibrillation", info: "Long-term condition; Significant Active", code: "49436004"},
						item{date: "11-Nov-2003", text: "Hypothyroidism", info: "Long-term condition; Significant Active", code: "40930008"},
						item{date: "08-Feb-2021", text: "Chronic kidney disease stage 3", info: "Long-term condition; Significant Active", code: "433144002"},
					),
					problems(item{date: "14-Jan-2016", text: "Osteoarthritis of both knees", info: "Significant Active", code: "239872002"}),
					risks(item{date: "01-Dec-2025", text: "At risk of falls", info: "Two falls at home in 2025", code: "129839007"}),
					circumstances(
						item{date: "03-Mar-2026", text: "Hearing impaired", info: "Wears bilateral hearing aids; face her when speaking"},
						item{date: "03-Mar-2026", text: "Requires written information in large print", info: ""},
						item{date: "03-Mar-2026", text: "Lives with husband, who is her main carer", info: ""},
					),
					preferences(
						item{date: "04-Mar-2026", text: "Preferred place of care: home", info: "Discussed with patient and family", code: "1066391000000100"},
						item{date: "04-Mar-2026", text: "Do not attempt cardiopulmonary resuscitation", info: "DNACPR decision in place; form held at home", code: "304253006"},
					),
					services(
						item{date: "20-May-2019", text: "Community heart failure nurse", info: "Airedale community cardiology team, 01632 960977"},
						item{date: "03-Mar-2026", text: "Carer: husband", info: "Peter Ashworth, 01632 960076"},
					),
				},
			},
		},
		{
			nhs: nhsNumber("900000008"), what: "deceased (deceasedDateTime, formal death notification); Unicode names",
			prefix: "Mr", given: []string{"Seán"}, family: "Ó Súilleabháin", nameFrom: "1936-01-08",
			gender: "male", born: "1936-01-08", died: "2026-10-02T14:20:00+00:00",
			addresses: []addr{{[]string{"7 Kinsale Terrace", "Kilburn", "London"}, "NW6 7QR", "1964-03-01", ""}},
			phone:     "01632960084", gp: "Y90084",
			scr: &summary{
				consent: "Ask", created: at("2026-09-10T12:30"), author: "FERREIRA, Lucia (Dr)",
				practice: "Kilburn Park Health Centre, 40 Carlton Vale, London, NW6 5XX.",
				sections: []section{
					allergies(allergy{"02-Jul-1988", "Shellfish allergy", "Certain", "Severe", "Anaphylaxis"}),
					acuteMeds("10-Sep-2025", "10-Sep-2026"),
					repeatMeds(
						med{date: "Last Issued: 01-Sep-2026", item: "Morphine sulfate 10mg/5ml oral solution", dose: "2.5ml To 5ml Every 4 Hours When Required For Pain", qty: "300 ml"},
						med{date: "Last Issued: 01-Sep-2026", item: "Omeprazole 20mg gastro-resistant capsules", dose: "One To Be Taken Each Day", qty: "28 capsule"},
					),
					discontinuedMeds("10-Mar-2026", "10-Sep-2026"),
					diagnoses(
						item{date: "04-Nov-2025", text: "Carcinoma of lung", info: "Significant Active; palliative care", code: "93880001"},
						item{date: "17-Feb-2014", text: "Chronic obstructive pulmonary disease", info: "Significant Active", code: "13645005"},
					),
					preferences(item{date: "12-Aug-2026", text: "Preferred place of death: home", info: "", code: "1066381000000102"}),
				},
			},
		},
		{
			nhs: nhsNumber("900000009"), what: "\"One or more entries have been deliberately withheld\" (under the title and in a section); \"No relevant information available for this category\" rows",
			prefix: "Mr", given: []string{"Arthur"}, family: "Pennington", nameFrom: "1961-12-01",
			gender: "male", born: "1961-12-01",
			addresses: []addr{{[]string{"2 Wharf Cottages", "Canal Side", "Skipton", "North Yorkshire"}, "BD23 1LB", "1999-07-19", ""}},
			phone:     "01632960092", gp: "Y90092",
			scr: &summary{
				consent: "Ask", created: at("2026-10-20T08:55"), author: "NAIK, Sunil (Dr)", withheld: true,
				practice: "Craven Dales Surgery, 5 Keighley Road, Skipton, North Yorkshire, BD23 2NB.",
				sections: []section{
					allergies(),
					acuteMeds("20-Oct-2025", "20-Oct-2026",
						med{date: "Prescribed: 07-Oct-2026", item: "Naproxen 500mg tablets", dose: "One To Be Taken Twice A Day With Food", qty: "14 tablet"}),
					repeatMeds(),
					discontinuedMeds("20-Apr-2026", "20-Oct-2026"),
					withheld(problems(item{date: "07-Oct-2026", text: "Low back pain", info: "Significant Active", code: "279039007"})),
					withheld(circumstances()),
					diagnoses(),
				},
			},
		},
		{
			nhs: nhsNumber("900000011"), what: "current record of superseded number " + supersededNHS + "; legacy consent Yes",
			prefix: "Mr", given: []string{"Daniel", "Piotr"}, family: "Kowalski", nameFrom: "1979-04-27",
			gender: "male", born: "1979-04-27",
			addresses: []addr{{[]string{"19 Brunswick Street", "Chorlton", "Manchester"}, "M21 9QF", "2012-01-09", ""}},
			mobile:    "07700900114", email: "daniel.kowalski@example.com", gp: "Y90114",
			scr: &summary{
				consent: "Yes", created: at("2025-12-15T14:48"), author: "BRADSHAW, Helen (Dr)",
				practice: "Chorlton Green Practice, 60 Beech Road, Manchester, M21 9EG.",
				sections: []section{
					allergies(allergy{"30-Jun-1983", "Peanut allergy", "Certain", "Severe", "Anaphylaxis. Carries two adrenaline auto-injectors."}),
					acuteMeds("15-Dec-2024", "15-Dec-2025"),
					repeatMeds(med{date: "Last Issued: 02-Dec-2025", item: "Adrenaline (epinephrine) 300micrograms/0.3ml auto-injector",
						dose: "Use As Directed For Anaphylaxis", qty: "2 pre-filled disposable injection"}),
					discontinuedMeds("15-Jun-2025", "15-Dec-2025"),
				},
			},
		},
		{
			nhs: nhsNumber("900000013"), what: "a very large record: 50 allergies and 300 medication rows",
			prefix: "Mrs", given: []string{"Margaret", "Rose"}, family: "Whitfield", nameFrom: "1962-09-01",
			oldNames: []oldName{{"Miss", []string{"Margaret", "Rose"}, "Pickering", "1940-06-05", "1962-08-31"}},
			gender:   "female", born: "1940-06-05",
			addresses: []addr{{[]string{"Room 12", "Ivy House Care Home", "27 Chapel Street", "Ripon", "North Yorkshire"}, "HG4 1JX", "2023-02-06", ""}},
			phone:     "01632960130", gp: "Y90130", pharmacy: "FX130",
			scr: largeSummary(),
		},
		twin(nhsNumber("900000014"), "Amelia", 1),
		twin(nhsNumber("900000015"), "Isla", 2),
		{
			nhs: nhsNumber("900000016"), what: "additional information as Spine sends it: every section of the published treatments-plus-risks-to-patient.json (two Treatments and two Risks to Patient sections), its Procedure and Observation entries, very long supporting-information cells, the allergies-and-medications withheld statement",
			prefix: "Mr", given: []string{"Graham", "Peter"}, family: "Ackroyd", nameFrom: "1950-04-17",
			gender: "male", born: "1950-04-17",
			addresses: []addr{{[]string{"6 Low Fold", "Horsforth", "Leeds", "West Yorkshire"}, "LS18 5QF", "1988-10-01", ""}},
			phone:     "01632960165", mobile: "07700900165", gp: "Y90165", pharmacy: "FX165",
			scr: &summary{
				consent: "Ask", source: gpSummaryFixtures + "from/fhir/additionalinfo/treatments-plus-risks-to-patient.json",
				rename: radford("Fiona", "HOLROYD", "Mrs", "DR SK AMBLER'S PRACTICE, 27 Quarry Fold, Horsforth, Leeds LS18 9QF", "555254290165", "555000090165"),
			},
		},
		{
			nhs: nhsNumber("900000017"), what: "a core summary (allergies and medication only, as a GP's first upload has), the published no-non-core.json with every section's code removed: sections known by Spine's titles alone; allergies (Sensitivity to PENICILLIN VK) after the medication; dates written \"10 Feb 2016\"",
			prefix: "Mrs", given: []string{"Pauline", "Mary"}, family: "Ibbotson", nameFrom: "1969-05-31",
			oldNames: []oldName{{"Miss", []string{"Pauline", "Mary"}, "Crowther", "1947-02-08", "1969-05-30"}},
			gender:   "female", born: "1947-02-08",
			addresses: []addr{{[]string{"31 Carr Croft", "Meanwood", "Leeds", "West Yorkshire"}, "LS6 4QJ", "1981-07-01", ""}},
			phone:     "01632960173", gp: "Y90173",
			scr: &summary{
				consent: "Ask", source: gpSummaryFixtures + "from/fhir/additionalinfo/no-non-core.json", edit: uncoded,
				rename: radford("Janet", "BARRACLOUGH", "Mrs", "DR RT OSEI'S PRACTICE, 4 Mill Green, Meanwood, Leeds LS6 4QX", "555254290173", "555000090173"),
			},
		},
		{
			nhs: nhsNumber("900000018"), what: "very restricted (meta.security V): no address, telecom or GP on PDS, as for R; has an SCR (the published withheld-information.json: entries withheld, a Personal Preferences section with no table)",
			prefix: "Ms", given: []string{"Leah"}, family: "Marsh", nameFrom: "1988-02-19",
			gender: "female", born: "1988-02-19", sensitive: true, veryRestrict: true,
			scr: &summary{
				consent: "Ask", source: gpSummaryFixtures + "from/fhir/additionalinfo/withheld-information.json",
				rename: radford("Carol", "AINSWORTH", "Mrs", "DR HN QURESHI'S PRACTICE, 12 Weir Side, Rodley, Leeds LS13 1QW", "555254290181", "555000090181"),
			},
		},
		{
			nhs: nhsNumber("900000020"), outdated: "once",
			what:   "an out-of-date SCR id that recovers: a session's first DocumentReference search names the SCR the current one replaced (its Bundle has 0 entries), every later one the current SCR; the record is the published additional_information_gp_summary_1.json",
			prefix: "Mr", given: []string{"Oliver", "James"}, family: "Thackeray", nameFrom: "1967-08-09",
			gender: "male", born: "1967-08-09",
			addresses: []addr{{[]string{"9 Tanhouse Yard", "Rawdon", "Leeds", "West Yorkshire"}, "LS19 6QD", "2009-03-16", ""}},
			mobile:    "07700900203", email: "oliver.thackeray@example.com", gp: "Y90203", pharmacy: "FX203",
			scr: &summary{
				consent: "Ask", source: gpSummaryFixtures + "additional_information_gp_summary_1.json",
				rename: []string{
					"WILSON, Bob (Mr)", "PRIESTLEY, Alan (Mr)",
					"Mr Bob Wilson", "Mr Alan Priestley",
					"Spine Testing, The Practice, Woodvale Terrace, Horsforth, Leeds LS18 4JW", "Aire Valley Practice, 3 Woodmill Terrace, Rawdon, Leeds LS19 6QE",
					"0177865579", "01632960203",
					"676789689789", "555000090203",
					"173067658018", "555254290203",
				},
			},
		},
		{
			nhs: nhsNumber("900000021"), outdated: "always",
			what:   "an SCR id always out of date (the record keeps changing): every DocumentReference search names an SCR whose Bundle has 0 entries",
			prefix: "Mrs", given: []string{"Beatrice", "Ann"}, family: "Holloway", nameFrom: "1944-12-01",
			gender: "female", born: "1944-12-01",
			addresses: []addr{{[]string{"15 Rectory Gardens", "Beverley", "East Riding of Yorkshire"}, "HU17 8QP", "1994-05-20", ""}},
			phone:     "01632960211", gp: "Y90211",
			scr: &summary{
				consent: "Ask", created: at("2026-11-24T17:45"), author: "FENWICK, Judith (Dr)",
				practice: "Minster Moorgate Surgery, 10 Lairgate, Beverley, East Riding of Yorkshire, HU17 8QE.",
				sections: []section{
					allergies(allergy{"11-Jan-2001", "Trimethoprim allergy", "Certain", "Moderate", "Widespread rash"}),
					acuteMeds("24-Nov-2025", "24-Nov-2026",
						med{date: "Prescribed: 24-Nov-2026", item: "Doxycycline 100mg capsules", dose: "Two On The First Day Then One Daily For 4 Days", qty: "6 capsule"}),
					repeatMeds(
						med{date: "Last Issued: 24-Nov-2026", item: "Warfarin 1mg tablets", dose: "As Directed By The Anticoagulant Clinic", qty: "56 tablet"},
						med{date: "Last Issued: 24-Nov-2026", item: "Digoxin 62.5microgram tablets", dose: "One To Be Taken Each Day", qty: "28 tablet"},
					),
					discontinuedMeds("24-May-2026", "24-Nov-2026",
						med{date: "Last Issued: 23-Nov-2026", item: "Warfarin 3mg tablets", dose: "As Directed By The Anticoagulant Clinic", qty: "28 tablet",
							stopped: "24-Nov-2026", reason: "Dose changed"}),
				},
			},
		},
		{
			nhs: nhsNumber("900000023"), what: "entries withheld, under the title and in a Personal Preferences section that also has rows (the published withheld-information-and-additional.json)",
			prefix: "Miss", given: []string{"Chloe"}, family: "Radcliffe", nameFrom: "1990-06-25",
			gender: "female", born: "1990-06-25",
			addresses: []addr{{[]string{"Flat 7", "2 Chapel Fold", "Bramley", "Leeds"}, "LS13 3QH", "2015-11-02", ""}},
			mobile:    "07700900238", email: "chloe.radcliffe@example.com", gp: "Y90238",
			scr: &summary{
				consent: "Ask", source: gpSummaryFixtures + "from/fhir/additionalinfo/withheld-information-and-additional.json",
				rename: radford("Helen", "DYSON", "Mrs", "DR AM KHALID'S PRACTICE, 8 Chapel Fold, Bramley, Leeds LS13 3QJ", "555254290238", "555000090238"),
			},
		},
		{
			nhs: nhsNumber("900000024"), what: "XHTML as a newer GP system sends it (the published empty-html-tags.json): indented with white space, empty cells `<td></td>` and white-space-only cells, bullet-separated details, dates \"21-Sep-2023\", \"Prescribed Elsewhere\", an Organization entry",
			prefix: "Mr", given: []string{"Rhys", "Daniel"}, family: "Cartwright", nameFrom: "1979-03-30",
			gender: "male", born: "1979-03-30",
			addresses: []addr{{[]string{"Flat 2", "44 Amhurst Walk", "Hackney", "London"}, "N16 0QR", "2020-01-13", ""}},
			mobile:    "07700900246", gp: "Y90246",
			scr: &summary{
				consent: "Ask", source: gpSummaryFixtures + "from/fhir/additionalinfo/empty-html-tags.json",
				rename: []string{
					"MCCULLAGH, Steven", "LOCKWOOD, Martin",
					"with Steven", "with Martin",
					"MA Baird", "JE Okoro",
					"1 Main St, London, W1A 1AA", "5 Vale Row, London, N16 0QZ",
					"+442071231234", "+442079460246",
				},
			},
		},
		{
			nhs: nhsNumber("900000025"), what: "a section whose code a viewer may not know (PatientCarerCorrespondenceHeader, \"Patient/Carer Correspondence\") and a Communication entry (the published patientcarercorrespondence.json)",
			prefix: "Mr", given: []string{"Stanley"}, family: "Ogden", nameFrom: "1938-10-14",
			gender: "male", born: "1938-10-14",
			addresses: []addr{{[]string{"3 Wharfe Row", "Otley", "West Yorkshire"}, "LS21 1QT", "1972-04-01", ""}},
			phone:     "01632960254", gp: "Y90254",
			scr: &summary{
				consent: "Ask", source: gpSummaryFixtures + "from/fhir/additionalinfo/patientcarercorrespondence.json",
				rename: radford("Susan", "WHITELEY", "Mrs", "DR CF NORTH'S PRACTICE, 2 Moorfield Row, Otley, Leeds LS21 1QS", "555254290254", "555000090254"),
			},
		},
	}
}

// twin is one of two sisters with the same surname, birthday and address: a
// search on those finds both, more than _max-results=1 allows.
func twin(nhs, given string, order int) person {
	return person{
		nhs: nhs, what: "twin: with her sister, too many matches for a search on family name and date of birth with _max-results=1; no SCR",
		prefix: "Miss", given: []string{given}, family: "Taylor", nameFrom: "2015-03-14",
		gender: "female", born: "2015-03-14", multipleBirth: order,
		addresses: []addr{{[]string{"41 Orchard Way", "Didsbury", "Manchester"}, "M20 2LS", "2015-03-20", ""}},
		phone:     "01632960149", gp: "Y90149",
	}
}

// largeSummary is the very large record: 50 allergies, 100 acute, 170 repeat
// and 30 discontinued repeat medication rows.
func largeSummary() *summary {
	allergens := []string{
		"Penicillin", "Amoxicillin", "Flucloxacillin", "Cefalexin", "Trimethoprim", "Sulfamethoxazole", "Nitrofurantoin",
		"Erythromycin", "Doxycycline", "Ciprofloxacin", "Codeine", "Morphine", "Tramadol", "Ibuprofen", "Naproxen",
		"Diclofenac", "Aspirin", "Co-codamol", "Gabapentin", "Pregabalin", "Amitriptyline", "Sertraline", "Citalopram",
		"Fluoxetine", "Lisinopril", "Ramipril", "Amlodipine", "Bendroflumethiazide", "Simvastatin", "Atorvastatin",
		"Metformin", "Gliclazide", "Allopurinol", "Colchicine", "Carbamazepine", "Phenytoin", "Lamotrigine", "Warfarin",
		"Heparin", "Iodine contrast media", "Chlorhexidine", "Latex", "Elastoplast", "Peanut", "Egg", "Cow's milk",
		"Shellfish", "Wasp venom", "Bee venom", "House dust mite",
	}
	reactions := []string{"Rash", "Urticaria", "Nausea and vomiting", "Angioedema", "Wheeze", "Diarrhoea", "Itching", "Dizziness"}
	severities := []string{"Mild", "Moderate", "Severe"}
	start := time.Date(1975, 1, 1, 0, 0, 0, 0, time.UTC)
	var algs []allergy
	for i, a := range allergens {
		algs = append(algs, allergy{
			date:      start.AddDate(0, i*11, i).Format(scrDay),
			text:      a + " allergy",
			certainty: []string{"Certain", "Likely"}[i%2],
			severity:  severities[i%3],
			info:      reactions[i%len(reactions)],
		})
	}
	drugs := []struct{ item, dose, qty string }{
		{"Paracetamol 500mg tablets", "Two To Be Taken Four Times A Day When Required", "100 tablet"},
		{"Furosemide 20mg tablets", "One To Be Taken Each Morning", "28 tablet"},
		{"Bisoprolol 1.25mg tablets", "One To Be Taken Each Day", "28 tablet"},
		{"Levothyroxine sodium 50microgram tablets", "One To Be Taken Each Morning", "28 tablet"},
		{"Omeprazole 20mg gastro-resistant capsules", "One To Be Taken Each Day", "28 capsule"},
		{"Senna 7.5mg tablets", "Two To Be Taken At Night", "60 tablet"},
		{"Lactulose 3.3g/5ml oral solution", "15ml To Be Taken Twice A Day", "500 ml"},
		{"Adcal-D3 chewable tablets", "One To Be Taken Twice A Day", "56 tablet"},
		{"Alendronic acid 70mg tablets", "One To Be Taken Each Week", "4 tablet"},
		{"Mirtazapine 15mg tablets", "One To Be Taken At Night", "28 tablet"},
		{"Donepezil 10mg tablets", "One To Be Taken At Night", "28 tablet"},
		{"Edoxaban 30mg tablets", "One To Be Taken Each Day", "28 tablet"},
		{"Tiotropium 2.5micrograms/dose solution for inhalation", "Two Puffs Once A Day", "60 dose"},
		{"Salbutamol 100micrograms/dose inhaler CFC free", "Two Puffs When Required", "200 dose"},
		{"Latanoprost 50micrograms/ml eye drops", "One Drop In Both Eyes At Night", "2.5 ml"},
		{"Hypromellose 0.3% eye drops", "One Drop In Both Eyes When Required", "10 ml"},
		{"Zerobase cream", "Apply Twice A Day", "500 gram"},
		{"Clotrimazole 1% cream", "Apply Twice A Day", "20 gram"},
		{"Macrogol compound oral powder sachets", "One Sachet Twice A Day", "30 sachet"},
		{"Tamsulosin 400microgram modified-release capsules", "One To Be Taken Each Day", "30 capsule"},
	}
	created := at("2026-11-10T11:15")
	var acute, repeat, disc []med
	for i := range 300 {
		d := drugs[i%len(drugs)]
		m := med{item: d.item, dose: d.dose, qty: d.qty}
		switch {
		case i < 100:
			m.date = "Prescribed: " + created.AddDate(0, 0, -3*i-1).Format(scrDay)
			acute = append(acute, m)
		case i < 270:
			m.date = "Last Issued: " + created.AddDate(0, 0, -(i-100)%28-1).Format(scrDay)
			repeat = append(repeat, m)
		default:
			issued := created.AddDate(0, 0, -5*(i-270)-20)
			m.date = "Last Issued: " + issued.Format(scrDay)
			m.stopped, m.reason = issued.AddDate(0, 0, 10).Format(scrDay), "Medication review"
			disc = append(disc, m)
		}
	}
	return &summary{
		consent: "Ask", created: created, author: "LINDQVIST, Erik (Dr)",
		practice: "Ripon Cathedral Surgery, 3 Minster Road, Ripon, North Yorkshire, HG4 1LZ.",
		sections: []section{
			allergies(algs...),
			acuteMeds("10-Nov-2025", "10-Nov-2026", acute...),
			repeatMeds(repeat...),
			discontinuedMeds("10-May-2026", "10-Nov-2026", disc...),
			diagnoses(
				item{date: "12-Apr-2018", text: "Alzheimer's disease", info: "Significant Active", code: "26929004"},
				item{date: "03-Mar-2016", text: "Atrial fibrillation", info: "Significant Active", code: "49436004"},
				item{date: "21-Sep-2012", text: "Chronic obstructive pulmonary disease", info: "Significant Active", code: "13645005"},
				item{date: "09-Jan-2010", text: "Osteoporosis", info: "Significant Active", code: "64859006"},
				item{date: "30-May-2004", text: "Glaucoma", info: "Significant Active", code: "23986001"},
			),
		},
	}
}

// ---- SCR sections ----------------------------------------------------------

// section is one section of the SCR Composition: its code (as in the published
// GetScrBundle.json, a code without a system), title, XHTML, and the structured
// resources it refers to.
type section struct {
	code, title string
	resources   []obj
	withheld    bool
	table       string // built XHTML table (with SendTime appended later)
	builder     func(p person, s *section)
}

type allergy struct{ date, text, certainty, severity, info string }

type med struct {
	date, item, dose, qty string
	stopped, reason       string // discontinued: when and why
}

type item struct {
	date, text, info string
	code             string // SNOMED CT, for the structured resource; "" for none
	value            *quantity
}

type quantity struct {
	value float64
	unit  string
}

const (
	noInformation = "No relevant information available for this category."
	withheldText  = "One or more entries have been deliberately withheld from this GP Summary."
	scrDay        = "02-Jan-2006" // how SCR tables write a date
)

func allergies(rows ...allergy) section {
	var body strings.Builder
	for i, a := range rows {
		body.WriteString(tr(i, a.date, a.text, a.certainty, a.severity, a.info))
	}
	return section{code: "AllergiesHeader", title: "Allergies and Adverse Reactions",
		table: table("Allergies", "This table includes information about this patient's allergies and adverse reactions.",
			[]string{"Date", "Description", "Certainty", "Severity", "Supporting Information"}, body.String(), len(rows))}
}

func acuteMeds(from, to string, rows ...med) section {
	return medSection("AcuteMedsHeader", fmt.Sprintf("Acute Medications (For the 12 month period %s to %s)", from, to),
		"AcuteMeds", "acute medications", "Acute Medication", rows)
}

func repeatMeds(rows ...med) section {
	return medSection("RepeatMedsHeader", "Current Repeat Medications", "RepeatMeds", "current repeat medications", "Repeat Medication", rows)
}

func discontinuedMeds(from, to string, rows ...med) section {
	return medSection("DiscRepeatMedsHeader", fmt.Sprintf("Discontinued Repeat Medications (For the 6 month period %s to %s)", from, to),
		"DiscRepeatMeds", "discontinued repeat medications", "Repeat Medication", rows)
}

func medSection(code, title, id, what, kind string, rows []med) section {
	var body strings.Builder
	for i, m := range rows {
		body.WriteString(tr(i, kind, m.date, m.item, m.dose, m.qty))
		if m.stopped != "" {
			fmt.Fprintf(&body, `<tr class="%s"><td/><td colspan="4">***Date Discontinued: %s, Reason: %s***</td></tr>`,
				rowClass(i), esc(m.stopped), esc(m.reason))
		}
	}
	return section{code: code, title: title,
		table: table(id, "This table includes information about this patient's "+what+".",
			[]string{"Type", "Date", "Medication Item", "Dosage Instructions", "Quantity"}, body.String(), len(rows))}
}

// A clinical section is a Date / Description / Additional information table
// (GetScrBundle.json), with a structured resource for each coded row.
type clinicalKind struct {
	code, title, id string
	resource        string // Condition, Observation, Procedure or "" (text only)
	category        coding // the care record element type
}

var (
	kindDiagnoses     = clinicalKind{"DiagnosesHeader", "Diagnoses", "Diagnoses", "Condition", coding{"163001000000103", "Diagnoses"}}
	kindProblems      = clinicalKind{"ProblemsHeader", "Problems and Issues", "Problems", "Condition", coding{"162991000000102", "Problems"}}
	kindRisks         = clinicalKind{"RisksToPatientHeader", "Risks to Patient", "RisksToPatient", "Observation", coding{"163231000000100", "Risks to patient"}}
	kindResults       = clinicalKind{"ResultsHeader", "Investigation Results", "Results", "Observation", coding{"163141000000104", "Investigation Results"}}
	kindTreatments    = clinicalKind{"TreatmentsHeader", "Treatments", "Treatments", "Procedure", coding{"163071000000106", "Treatments"}}
	kindPreferences   = clinicalKind{"PreferencesHeader", "Personal Preferences", "Preferences", "Observation", coding{"162961000000108", "Personal preferences"}}
	kindCircumstances = clinicalKind{"CircumstancesHeader", "Social and Personal Circumstances", "Circumstances", "", coding{}}
	kindServices      = clinicalKind{"ServicesHeader", "Services, Care Professionals and Carers", "Services", "", coding{}}
)

func diagnoses(rows ...item) section     { return clinical(kindDiagnoses, rows) }
func problems(rows ...item) section      { return clinical(kindProblems, rows) }
func risks(rows ...item) section         { return clinical(kindRisks, rows) }
func results(rows ...item) section       { return clinical(kindResults, rows) }
func treatments(rows ...item) section    { return clinical(kindTreatments, rows) }
func preferences(rows ...item) section   { return clinical(kindPreferences, rows) }
func circumstances(rows ...item) section { return clinical(kindCircumstances, rows) }
func services(rows ...item) section      { return clinical(kindServices, rows) }

func clinical(k clinicalKind, rows []item) section {
	var body strings.Builder
	for i, it := range rows {
		body.WriteString(tr(i, it.date, it.text, it.info))
	}
	s := section{code: k.code, title: k.title,
		table: table(k.id, "", []string{"Date", "Description", "Additional information"}, body.String(), len(rows))}
	s.builder = func(p person, s *section) {
		if k.resource == "" {
			return
		}
		for _, it := range rows {
			if it.code != "" {
				s.resources = append(s.resources, clinicalResource(p, k, it))
			}
		}
	}
	return s
}

// withheld marks a section as having entries the GP withheld from the summary.
func withheld(s section) section {
	s.withheld = true
	return s
}

func table(id, summary string, heads []string, body string, rows int) string {
	var b strings.Builder
	b.WriteString("<table")
	if summary != "" {
		fmt.Fprintf(&b, ` summary="%s"`, esc(summary))
	}
	fmt.Fprintf(&b, ` id="%s"><thead><tr>`, id)
	for _, h := range heads {
		fmt.Fprintf(&b, "<th>%s</th>", esc(h))
	}
	b.WriteString("</tr></thead><tbody>")
	if rows == 0 {
		fmt.Fprintf(&b, `<tr><td colspan="%d">%s</td></tr>`, len(heads), noInformation)
	}
	b.WriteString(body)
	b.WriteString("</tbody></table>")
	return b.String()
}

// tr is one table row; empty cells are written <td/>, as Spine does.
func tr(i int, cells ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<tr class="%s">`, rowClass(i))
	for _, c := range cells {
		if c == "" {
			b.WriteString("<td/>")
		} else {
			fmt.Fprintf(&b, "<td>%s</td>", esc(c))
		}
	}
	b.WriteString("</tr>")
	return b.String()
}

func rowClass(i int) string {
	if i%2 == 0 {
		return "oddRow"
	}
	return "evenRow"
}

// esc escapes text for XHTML.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

const xhtmlOpen = `<div xmlns="http://www.w3.org/1999/xhtml">`

// ---- FHIR ----------------------------------------------------------------------

// obj is a JSON object that keeps its members in the order written, so the
// files read like the published examples.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(m.k)
		if err != nil {
			return nil, err
		}
		v, err := marshal(m.v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.k, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without escaping <, > and &, which the XHTML is full of.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func writeJSON(path string, v any) {
	b, err := marshal(v)
	check(err)
	var out bytes.Buffer
	check(json.Indent(&out, b, "", "  "))
	out.WriteByte('\n')
	check(os.WriteFile(path, out.Bytes(), 0o644))
}

type coding struct{ code, display string }

const (
	snomed        = "http://snomed.info/sct"
	nhsSystem     = "https://fhir.nhs.uk/Id/nhs-number"
	odsSystem     = "https://fhir.nhs.uk/Id/ods-organization-code"
	scrBase       = "https://api.service.nhs.uk/summary-care-record/FHIR/R4/"
	ukCore        = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-"
	ukCoreCodes   = "https://fhir.hl7.org.uk/CodeSystem/UKCore-"
	uuidSystem    = "https://tools.ietf.org/html/rfc4122"
	gpSummaryCode = "196981000000101"
)

func codeable(system, code, display string) obj {
	c := obj{{"system", system}, {"code", code}}
	if display != "" {
		c = append(c, kv{"display", display})
	}
	return obj{{"coding", []obj{c}}}
}

func gpSummaryType() obj { return codeable(snomed, gpSummaryCode, "General Practice Summary") }

// uuid is a name-based (version 5 style) UUID in the upper case Spine uses,
// derived from parts, so the files are the same each time they are made.
func uuid(parts ...string) string {
	h := sha1.Sum([]byte(strings.Join(parts, "/")))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16]))
}

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04", s)
	check(err)
	return t
}

func instant(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

// isoDay turns an SCR table date (02-Jan-2006) into a FHIR dateTime.
func isoDay(d string) string {
	t, err := time.Parse(scrDay, d)
	check(err)
	return t.Format("2006-01-02") + "T00:00:00+00:00"
}

func pdsPatient(p person) obj {
	security := obj{{"system", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"}, {"code", "U"}, {"display", "unrestricted"}}
	switch {
	case p.veryRestrict:
		security = obj{{"system", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"}, {"code", "V"}, {"display", "very restricted"}}
	case p.sensitive:
		security = obj{{"system", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"}, {"code", "R"}, {"display", "restricted"}}
	}
	names := []obj{humanName("1", "usual", p.prefix, p.given, p.family, p.nameFrom, "")}
	for i, n := range p.oldNames {
		names = append(names, humanName(fmt.Sprint(i+2), "old", n.prefix, n.given, n.family, n.from, n.to))
	}
	o := obj{
		{"resourceType", "Patient"},
		{"id", p.nhs},
		{"identifier", []obj{{
			{"system", nhsSystem},
			{"value", p.nhs},
			{"extension", []obj{{
				{"url", ukCore + "NHSNumberVerificationStatus"},
				{"valueCodeableConcept", obj{{"coding", []obj{{
					{"system", ukCoreCodes + "NHSNumberVerificationStatus"}, {"version", "1.0.0"},
					{"code", "01"}, {"display", "Number present and verified"},
				}}}}},
			}}},
		}}},
		{"meta", obj{{"versionId", "1"}, {"security", []obj{security}}}},
		{"name", names},
		{"gender", p.gender},
		{"birthDate", p.born},
	}
	if p.multipleBirth > 0 {
		o = append(o, kv{"multipleBirthInteger", p.multipleBirth})
	}
	if p.died != "" {
		o = append(o, kv{"deceasedDateTime", p.died})
	}
	var ext []obj
	if !p.sensitive { // PDS withholds where a sensitive patient lives and is treated
		o = append(o, kv{"generalPractitioner", []obj{{
			{"id", uuid(p.nhs, "gp")[:8]},
			{"type", "Organization"},
			{"identifier", obj{{"system", odsSystem}, {"value", p.gp}, {"period", obj{{"start", p.addresses[0].from}}}}},
		}}})
		if p.pharmacy != "" {
			ext = append(ext, obj{
				{"url", ukCore + "NominatedPharmacy"},
				{"valueReference", obj{{"identifier", obj{{"system", odsSystem}, {"value", p.pharmacy}}}}},
			})
		}
	}
	if p.died != "" {
		ext = append(ext, obj{
			{"url", ukCore + "DeathNotificationStatus"},
			{"extension", []obj{
				{{"url", "deathNotificationStatus"}, {"valueCodeableConcept", obj{{"coding", []obj{{
					{"system", ukCoreCodes + "DeathNotificationStatus"}, {"version", "1.0.0"},
					{"code", "2"}, {"display", "Formal - death notice received from Registrar of Deaths"},
				}}}}}},
				{{"url", "systemEffectiveDate"}, {"valueDateTime", p.died}},
			}},
		})
	}
	if p.welsh {
		ext = append(ext, obj{
			{"url", ukCore + "NHSCommunication"},
			{"extension", []obj{
				{{"url", "language"}, {"valueCodeableConcept", obj{{"coding", []obj{{
					{"system", ukCoreCodes + "HumanLanguage"}, {"version", "1.0.0"}, {"code", "cy"}, {"display", "Welsh"},
				}}}}}},
				{{"url", "interpreterRequired"}, {"valueBoolean", false}},
			}},
		})
	}
	if p.largePrint {
		ext = append(ext, obj{
			{"url", ukCore + "ContactPreference"},
			{"extension", []obj{
				{{"url", "PreferredWrittenCommunicationFormat"}, {"valueCodeableConcept", obj{{"coding", []obj{{
					{"system", ukCoreCodes + "PreferredWrittenCommunicationFormat"}, {"code", "11"}, {"display", "Large print"},
				}}}}}},
				{{"url", "PreferredContactMethod"}, {"valueCodeableConcept", obj{{"coding", []obj{{
					{"system", ukCoreCodes + "PreferredContactMethod"}, {"code", "1"}, {"display", "Letter"},
				}}}}}},
			}},
		})
	}
	if len(ext) > 0 {
		o = append(o, kv{"extension", ext})
	}
	if p.sensitive {
		return o
	}
	var telecom []obj
	for _, t := range []struct{ system, value, use string }{{"phone", p.phone, "home"}, {"phone", p.mobile, "mobile"}, {"email", p.email, "home"}} {
		if t.value != "" {
			telecom = append(telecom, obj{
				{"id", uuid(p.nhs, "telecom", t.value)[:8]},
				{"period", obj{{"start", p.addresses[0].from}}},
				{"system", t.system}, {"value", t.value}, {"use", t.use},
			})
		}
	}
	if len(telecom) > 0 {
		o = append(o, kv{"telecom", telecom})
	}
	var addresses []obj
	for i, a := range p.addresses {
		per := obj{{"start", a.from}}
		if a.to != "" {
			per = append(per, kv{"end", a.to})
		}
		addresses = append(addresses, obj{
			{"id", uuid(p.nhs, "address", fmt.Sprint(i))[:8]},
			{"period", per},
			{"use", "home"},
			{"line", a.lines},
			{"postalCode", a.postcode},
		})
	}
	return append(o, kv{"address", addresses})
}

func humanName(id, use, prefix string, given []string, family, from, to string) obj {
	per := obj{{"start", from}}
	if to != "" {
		per = append(per, kv{"end", to})
	}
	return obj{{"id", id}, {"use", use}, {"period", per}, {"given", given}, {"family", family}, {"prefix", []string{prefix}}}
}

// ids names the resources one patient's SCR files share.
type ids struct{ scr, patient, role, practitioner, org string }

func idsOf(p person) ids {
	return ids{
		scr:          uuid(p.nhs, "scr"),
		patient:      uuid(p.nhs, "patient"),
		role:         uuid(p.nhs, "author-role"),
		practitioner: uuid(p.nhs, "author"),
		org:          uuid(p.nhs, "practice"),
	}
}

// docRefBundle is the DocumentReference search's answer naming SCR scrID,
// created at date; variant tells the identifiers of one such answer from another's.
func docRefBundle(p person, scrID, variant string, date time.Time) obj {
	id := idsOf(p)
	id.scr = scrID
	named := func(name string) string { // the current answer's ids as they always were
		if variant == "" {
			return uuid(p.nhs, name)
		}
		return uuid(p.nhs, name, variant)
	}
	docRef := named("document-reference")
	return obj{
		{"resourceType", "Bundle"},
		{"id", strings.ToLower(named("document-reference-bundle"))},
		{"type", "searchset"},
		{"total", 1},
		{"entry", []obj{
			{
				{"fullUrl", scrBase + "DocumentReference/" + docRef},
				{"resource", obj{
					{"resourceType", "DocumentReference"},
					{"id", docRef},
					{"masterIdentifier", obj{{"system", "https://fhir.nhs.uk/Id/nhsSCRUUID"}, {"value", id.scr}}},
					{"status", "current"},
					{"type", gpSummaryType()},
					{"subject", obj{{"reference", "Patient/" + id.patient}}},
					{"date", instant(date)},
					{"securityLabel", []obj{{{"coding", []obj{{{"system", "https://fhir.nhs.uk/CodeSystem/SCR-ACSPermission"}, {"code", p.scr.consent}}}}}}},
					{"content", []obj{{{"attachment", obj{{"url", "https://api.service.nhs.uk/summary-care-record/Bundle?composition.identifier=" +
						id.scr + "&composition.subject:Patient.identifier=" + nhsSystem + "|" + p.nhs}}}}}},
					{"context", obj{{"event", []obj{gpSummaryType()}}}},
				}},
				{"search", obj{{"mode", "match"}}},
			},
			{
				{"fullUrl", id.patient},
				{"resource", scrPatient(p)},
			},
		}},
	}
}

func scrPatient(p person) obj {
	return obj{
		{"resourceType", "Patient"},
		{"id", idsOf(p).patient},
		{"identifier", []obj{{{"system", nhsSystem}, {"value", p.nhs}}}},
	}
}

func entry(resource obj) obj {
	var typ, id string
	for _, m := range resource {
		switch m.k {
		case "resourceType":
			typ = m.v.(string)
		case "id":
			id = m.v.(string)
		}
	}
	return obj{{"fullUrl", scrBase + typ + "/" + id}, {"resource", resource}}
}

func scrBundle(p person) obj {
	id, s := idsOf(p), p.scr
	var sections, extra []obj
	title := xhtmlOpen +
		`<h3 id="Disclaimer">Sourced from the patient's General Practice record. This summary may not include all the information pertinent to this patient.</h3>` +
		fmt.Sprintf(`<p id="CreateTime">Summary Created: %s</p>`, s.created.Format("02-Jan-2006 15:04"))
	if s.withheld {
		title += `<p id="WithheldCREItemsHeaderStatement" class="HighlightedStatement">` + withheldText + `</p>`
	}
	title += fmt.Sprintf(`<p id="Author">Created by: %s</p>`, esc(s.author))
	if s.practice != "" {
		title += fmt.Sprintf(`<p id="Practice">%s</p>`, esc(s.practice))
	}
	sections = append(sections, sectionObj("Title", "General Practice Summary", title+"</div>", nil))
	for i, sec := range s.sections {
		if sec.builder != nil {
			sec.builder(p, &sec)
		}
		div := xhtmlOpen
		if sec.withheld {
			div += `<p class="HighlightedStatement">` + withheldText + `</p>`
		}
		div += sec.table
		if i == len(s.sections)-1 {
			div += fmt.Sprintf(`<p id="SendTime">Summary Sent: %s</p>`, s.created.Add(4*time.Minute).Format("02-Jan-2006 15:04"))
		}
		var refs []obj
		for _, r := range sec.resources {
			e := entry(r)
			extra = append(extra, e)
			refs = append(refs, obj{{"reference", strings.TrimPrefix(e[0].v.(string), scrBase)}})
		}
		sections = append(sections, sectionObj(sec.code, sec.title, div+"</div>", refs))
	}
	composition := obj{
		{"resourceType", "Composition"},
		{"id", id.scr},
		{"meta", obj{{"lastUpdated", instant(s.created)}}},
		{"identifier", obj{{"system", uuidSystem}, {"value", id.scr}}},
		{"status", "final"},
		{"type", gpSummaryType()},
		{"category", []obj{codeable(snomed, "163171000000105", "Care Professional Documentation")}},
		{"subject", obj{{"reference", "Patient/" + id.patient}}},
		{"date", instant(s.created)},
		{"author", []obj{{{"reference", "PractitionerRole/" + id.role}}}},
		{"section", sections},
	}
	// The author in parts as well as text, so that the viewer can write it
	// in CUI order ("PATEL, Anita (Dr)") as it does every name.
	surname, forename, _ := strings.Cut(s.author, ", ")
	given, title, _ := strings.Cut(strings.TrimSuffix(forename, ")"), " (")
	name := obj{{"text", strings.TrimSpace(forename + " " + surname)}, {"family", surname}, {"given", []string{given}}}
	if title != "" {
		name = append(name, kv{"prefix", []string{title}})
	}
	entries := []obj{
		entry(composition),
		entry(obj{
			{"resourceType", "PractitionerRole"},
			{"id", id.role},
			{"practitioner", obj{{"reference", "Practitioner/" + id.practitioner}}},
			{"organization", obj{{"reference", "Organization/" + id.org}}},
			{"code", []obj{codeable("https://fhir.nhs.uk/CodeSystem/HL7v3-SDSJobRoleName", "R0260", "General Medical Practitioner")}},
		}),
		entry(obj{
			{"resourceType", "Practitioner"},
			{"id", id.practitioner},
			{"name", []obj{name}},
		}),
	}
	org := obj{{"resourceType", "Organization"}, {"id", id.org}, {"identifier", []obj{{{"system", odsSystem}, {"value", p.gp}}}}}
	if name, address, ok := strings.Cut(s.practice, ", "); ok {
		org = append(org, kv{"name", name}, kv{"address", []obj{{{"text", strings.TrimSuffix(address, ".")}}}})
	}
	entries = append(entries, entry(org))
	entries = append(entries, extra...)
	entries = append(entries, entry(scrPatient(p)))
	return obj{
		{"resourceType", "Bundle"},
		{"id", uuid(p.nhs, "scr-bundle")},
		{"identifier", obj{{"system", uuidSystem}, {"value", uuid(p.nhs, "scr-bundle-identifier")}}},
		{"type", "searchset"},
		{"timestamp", instant(s.created.Add(5 * time.Minute))},
		{"total", len(entries)},
		{"entry", entries},
	}
}

func sectionObj(code, title, div string, refs []obj) obj {
	o := obj{
		{"title", title},
		{"code", obj{{"coding", []obj{{{"code", code}}}}}},
		{"text", obj{{"status", "generated"}, {"div", div}}},
	}
	if len(refs) > 0 {
		o = append(o, kv{"entry", refs})
	}
	return o
}

// clinicalResource is the structured resource behind one coded row.
func clinicalResource(p person, k clinicalKind, it item) obj {
	id := uuid(p.nhs, k.code, it.code, it.date)
	category := []obj{codeable(snomed, k.category.code, k.category.display)}
	code := codeable(snomed, it.code, it.text)
	subject := obj{{"reference", "Patient/" + idsOf(p).patient}}
	when := isoDay(it.date)
	var note []obj
	if it.info != "" {
		note = []obj{{{"text", it.info}}}
	}
	var o obj
	switch k.resource {
	case "Condition":
		o = obj{
			{"resourceType", "Condition"}, {"id", id}, {"identifier", []obj{{{"value", id}}}},
			{"clinicalStatus", codeable("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active")},
			{"category", category}, {"code", code}, {"subject", subject}, {"onsetDateTime", when},
		}
	case "Observation":
		o = obj{
			{"resourceType", "Observation"}, {"id", id},
			{"meta", obj{{"profile", []string{"https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation"}}}},
			{"identifier", []obj{{{"value", id}}}}, {"status", "final"},
			{"category", category}, {"code", code}, {"subject", subject}, {"effectiveDateTime", when},
		}
		if it.value != nil {
			o = append(o, kv{"valueQuantity", obj{{"value", it.value.value}, {"unit", it.value.unit}}})
			note = nil // the value says it
		}
	case "Procedure":
		o = obj{
			{"resourceType", "Procedure"}, {"id", id}, {"identifier", []obj{{{"value", id}}}}, {"status", "completed"},
			{"category", category[0]}, {"code", code}, {"subject", subject}, {"performedDateTime", when},
		}
	default:
		log.Fatalf("%s: no resource type", k.code)
	}
	if note != nil {
		o = append(o, kv{"note", note})
	}
	return o
}

func readme(people []person) []byte {
	var b bytes.Buffer
	b.WriteString(`# Sandbox patients: synthetic, not real people

Made by ` + "`gen_patients.go`" + ` (` + "`go generate ./assets`" + `), except 9000000009, the NHS's
published example (MIT, Crown copyright, LICENSE beside it). Each folder is one
patient: ` + "`patient.json`" + ` is the PDS Patient; a patient with a Summary Care Record also
has ` + "`documentreference.json`" + ` (the DocumentReference searchset) and ` + "`bundle.json`" + ` (the
SCR Bundle), each exactly as the sandbox serves it. ` + "`superseded.json`" + ` maps retired
NHS numbers to the current ones; ` + "`invalidated.json`" + ` lists numbers invalidated without a
successor. Telephone numbers are Ofcom's drama numbers; e-mail is at example.com.

A patient whose SCR id goes out of date also has ` + "`documentreference-outdated.json`" + `, the
DocumentReference searchset naming an SCR id whose Bundle has 0 entries (as the SCR API
answers an out-of-date id); ` + "`outdated.json`" + ` says when the sandbox serves it instead of
` + "`documentreference.json`" + `: ` + "`once`" + ` (on a session's, that is a role token's, first search
for the patient) or ` + "`always`" + `.

| NHS number | name | SCR consent | what it exercises |
| --- | --- | --- | --- |
| 9000000009 | Mrs Jane Smith | Ask | the published PDS and SCR examples, served unchanged; deceased; name period ended |
`)
	for _, p := range people {
		consent := "no SCR"
		if p.scr != nil {
			consent = p.scr.consent
		}
		fmt.Fprintf(&b, "| %s | %s %s %s | %s | %s |\n", p.nhs, p.prefix, strings.Join(p.given, " "), p.family, consent, p.what)
	}
	fmt.Fprintf(&b, "| %s | (superseded) | | PDS answers with %s's current record |\n", supersededNHS, nhsOf(people, "Kowalski"))
	fmt.Fprintf(&b, "| %s | (invalidated) | | PDS answers 404 INVALIDATED_RESOURCE |\n", invalidatedNHS)
	b.WriteString(`
## Records built from NHS England's published ones

These SCRs are NHS England's published test records (repository
NHSDigital/summary-care-record-api, copied into ` + "`internal/nhscorpus/published/scr`" + `; MIT,
Crown copyright, LICENSE beside each). Their clinical content is unchanged; the patient
is the sandbox's (NHS number), the author, practice and their identifiers are made up,
the UUIDs are derived from the patient, and the Bundle is a searchset with its total, as
GET /Bundle serves it.

| NHS number | built from (below ` + "`internal/nhscorpus/published/scr/`" + `) |
| --- | --- |
`)
	for _, p := range people {
		if p.scr != nil && p.scr.source != "" {
			fmt.Fprintf(&b, "| %s | `%s` |\n", p.nhs, strings.TrimPrefix(p.scr.source, "scr/"))
		}
	}
	return b.Bytes()
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// ---- Records built from published ones ---------------------------------------

// gpSummaryFixtures is where the SCR service's GP summary test records sit in
// internal/nhscorpus/published.
const gpSummaryFixtures = "scr/docker/service/src/test/resources/gp_summary/"

var uuidPattern = regexp.MustCompile(`[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)

// fromPublished builds p's SCR Bundle from the published record p.scr.source,
// as GET /Bundle serves it: a searchset with its total (the test records are
// "document" Bundles, some with a wrong total), under the live API's base URL.
// The clinical content is kept. The record is made the sandbox patient's: their
// NHS number, made-up people and places (p.scr.rename), the SCR id of their
// DocumentReference, and every other UUID derived from the patient, so that two
// patients built from one record share no ids. It sets p.scr.created from the
// Composition's date and p.scr.replaces from its relatesTo.
func fromPublished(p person) obj {
	raw, err := nhscorpus.Read(p.scr.source)
	check(err)
	for i := 0; i < len(p.scr.rename); i += 2 {
		if !bytes.Contains(raw, []byte(p.scr.rename[i])) {
			log.Fatalf("%s: %s: nothing to rename from %q", p.nhs, p.scr.source, p.scr.rename[i])
		}
	}
	rename := strings.NewReplacer(p.scr.rename...)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	check(err)
	bundle := walkStrings(v, func(s string) string {
		return uuidPattern.ReplaceAllStringFunc(rename.Replace(s), func(u string) string {
			id := uuid(p.nhs, "published", strings.ToUpper(u))
			if u == strings.ToLower(u) {
				return strings.ToLower(id)
			}
			return id
		})
	}).(obj)

	scrID, sourceNHS := idsOf(p).scr, ""
	entries := bundle.get("entry").([]any)
	for _, e := range entries {
		e := e.(obj)
		url, _ := e.get("fullUrl").(string) // some published entries have none
		if _, rest, ok := strings.Cut(url, "/summary-care-record/FHIR/R4/"); ok {
			e.set("fullUrl", scrBase+rest)
		}
		res := e.get("resource").(obj)
		switch res.get("resourceType") {
		case "Composition":
			ident := res.get("identifier").(obj)
			if res.get("id") == ident.get("value") {
				res.set("id", scrID)
				e.set("fullUrl", scrBase+"Composition/"+scrID)
			}
			ident.set("value", scrID)
			t, err := time.Parse(time.RFC3339, res.get("date").(string))
			check(err)
			p.scr.created = t
			if rel, ok := res.get("relatesTo").([]any); ok {
				p.scr.replaces = rel[0].(obj).get("targetIdentifier").(obj).get("value").(string)
			}
			if p.scr.edit != nil {
				p.scr.edit(res)
			}
		case "Patient":
			for _, id := range res.get("identifier").([]any) {
				if id := id.(obj); id.get("system") == nhsSystem {
					sourceNHS = id.get("value").(string)
					id.set("value", p.nhs)
				}
			}
		}
	}
	var out obj
	for _, m := range bundle {
		switch m.k {
		case "type":
			out = append(out, kv{"type", "searchset"})
		case "total": // counted again below
		case "entry":
			out = append(out, kv{"total", len(entries)}, m)
		default:
			out = append(out, m)
		}
	}
	b, err := marshal(out)
	check(err)
	if sourceNHS == "" || bytes.Contains(b, []byte(sourceNHS)) {
		log.Fatalf("%s: %s: the published patient's NHS number (%q) is not replaced everywhere", p.nhs, p.scr.source, sourceNHS)
	}
	return out
}

// uncoded is the edit that makes a published record one whose sections carry
// their titles but no codes, with the allergies after the medication.
func uncoded(composition obj) {
	var title, allergies, rest []any
	for _, s := range composition.get("section").([]any) {
		sec := s.(obj).without("code")
		switch sec.get("title") {
		case "General Practice Summary":
			title = append(title, sec)
		case "Allergies and Adverse Reactions":
			allergies = append(allergies, sec)
		default:
			rest = append(rest, sec)
		}
	}
	composition.set("section", slices.Concat(title, rest, allergies))
}

// radford renames the author and practice of the published test records
// written by "RADFORD, Michelle (Mrs)": forename, surname and title of the
// made-up author, her practice as the Practice paragraph writes it, and her
// SDS role profile and user IDs.
func radford(forename, surname, title, practice, roleProfile, userID string) []string {
	return []string{
		"RADFORD, Michelle (Mrs)", fmt.Sprintf("%s, %s (%s)", surname, forename, title),
		"MICHELLEMrsRADFORD", strings.ToUpper(forename) + title + surname, // run together, as Spine sent it
		"DR DK NANDI'S PRACTICE, 342 Troy Road, Horsforth, Leeds LS18 5TN", practice,
		"103292576980", roleProfile,
		"103267400988", userID,
	}
}

// decodeOrdered decodes one JSON value from dec, objects as obj so that their
// members keep the published order.
func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := obj{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			o = append(o, kv{k.(string), v})
		}
		_, err := dec.Token()
		return o, err
	case json.Delim('['):
		a := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return tok, nil
}

// walkStrings replaces every string value in v (not member names) by f's.
func walkStrings(v any, f func(string) string) any {
	switch v := v.(type) {
	case obj:
		for i := range v {
			v[i].v = walkStrings(v[i].v, f)
		}
	case []any:
		for i := range v {
			v[i] = walkStrings(v[i], f)
		}
	case string:
		return f(v)
	}
	return v
}

func (o obj) get(k string) any {
	for _, m := range o {
		if m.k == k {
			return m.v
		}
	}
	return nil
}

// set replaces the value of member k, which must be there (a member added
// would not reach an obj held by value elsewhere).
func (o obj) set(k string, v any) {
	for i := range o {
		if o[i].k == k {
			o[i].v = v
			return
		}
	}
	log.Fatalf("no member %q to set", k)
}

func (o obj) without(k string) obj {
	var out obj
	for _, m := range o {
		if m.k != k {
			out = append(out, m)
		}
	}
	return out
}
