package hsds11

import "testing"

func TestParseClock(t *testing.T) {
	for in, want := range map[string]string{
		"9:00": "09:00", "09:00:30": "09:00:30", "5:30 PM": "17:30", "12:00 am": "00:00", "12 PM": "12:00",
		"0900": "09:00", "09:00-05:00": "09:00-05:00", "9:00z": "09:00Z", "24:00": "23:59",
		"9": "", "25:00": "", "9:75": "", "13:00 PM": "", "noon": "",
	} {
		got, ok := parseClock(in)
		if got != want || ok != (want != "") {
			t.Errorf("parseClock(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestParseWeekday(t *testing.T) {
	for in, want := range map[string]string{
		"Monday": "MO", "tue": "TU", "THURSDAY": "TH", "Sat.": "SA", "su": "SU",
		"1": "MO", "3": "WE", "7": "SU", "0": "SU", "8": "", "T": "", "Funday": "",
	} {
		got, _, ok := parseWeekday(in)
		if got != want || ok != (want != "") {
			t.Errorf("parseWeekday(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestParseDates(t *testing.T) {
	for in, want := range map[string]string{"2024-12-24": "2024-12-24", "2024-12-24T00:00:00Z": "2024-12-24", "12/24/2024": "", "2024-13-01": ""} {
		if got, ok := parseDate(in); got != want || ok != (want != "") {
			t.Errorf("parseDate(%q) = %q, %v", in, got, ok)
		}
	}
	for in, want := range map[string]string{"1998": "1998", "1998-06-01": "1998", "circa 1990": "", "98": ""} {
		if got, ok := parseYear(in); got != want || ok != (want != "") {
			t.Errorf("parseYear(%q) = %q, %v", in, got, ok)
		}
	}
}

func TestLanguages(t *testing.T) {
	got := languages("en, Spanish; FRA/ Haitian Creole|EN-US")
	want := []row{{"code": "en"}, {"name": "Spanish"}, {"code": "fra"}, {"name": "Haitian Creole"}, {"code": "en-US"}}
	if len(got) != len(want) {
		t.Fatalf("languages: %v", got)
	}
	for i := range want {
		for k, v := range want[i] {
			if got[i][k] != v || len(got[i]) != 1 {
				t.Errorf("language %d: %v, want %v", i, got[i], want[i])
			}
		}
	}
}

func TestCountry(t *testing.T) {
	for in, want := range map[string]string{
		"us": "US", "USA": "US", "840": "US", "United States": "US", " united  states of america ": "US",
		"MEX": "MX", "Canada": "CA", "Atlantis": "ATLANTIS", "XYZ": "XYZ",
	} {
		if got := country(in); got != want {
			t.Errorf("country(%q) = %q, want %q", in, got, want)
		}
	}
}
