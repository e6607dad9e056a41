// Package seed embeds the data Linkage ships with: the demo directory of
// Palmetto County, Florida (a fictional county laid over the Miami area),
// and our taxonomy. The files are plain HSDS JSON, importable by
// `linkage import` like any operator's data.
package seed

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/linkage-org/linkage/internal/hsds"
)

//go:embed demo/*.json synonyms.txt postcodes/demo_zcta.txt
var files embed.FS

// Demo is the demo dataset: taxonomy.json (taxonomy terms) and
// organizations.json (organizations with their locations and services).
func Demo() fs.FS {
	sub, err := fs.Sub(files, "demo")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// DemoFiles lists the demo files in the order they must be imported.
var DemoFiles = []string{"taxonomy.json", "organizations.json"}

// Taxonomy returns the shipped taxonomy terms.
func Taxonomy() ([]hsds.TaxonomyTerm, error) {
	b, err := fs.ReadFile(Demo(), "taxonomy.json")
	if err != nil {
		return nil, fmt.Errorf("seed: read taxonomy: %w", err)
	}
	var terms []hsds.TaxonomyTerm
	if err := json.Unmarshal(b, &terms); err != nil {
		return nil, fmt.Errorf("seed: parse taxonomy: %w", err)
	}
	return terms, nil
}

// Synonyms is the editable synonym list of search (synonyms.txt): one group
// of equivalent phrases per line.
func Synonyms() []byte {
	b, err := files.ReadFile("synonyms.txt")
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

// DemoPostcodes are the postcode centroids of the demo region, in the US
// Census ZCTA Gazetteer format that `linkage import-postcodes` reads.
func DemoPostcodes() []byte {
	b, err := files.ReadFile("postcodes/demo_zcta.txt")
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

//go:embed eligibility/taxonomy.json eligibility/poverty_guidelines.json
var eligibilityFiles embed.FS

// EligibilityTaxonomyID is the taxonomy of eligibility criteria: each
// term's code is an eligibility.Code.
const EligibilityTaxonomyID = "ce5f5369-f77b-505c-8616-4384002b04f7"

// Eligibility is the eligibility taxonomy (taxonomy.json), loaded at every
// start so any installation can hold structured eligibility.
func Eligibility() fs.FS {
	sub, err := fs.Sub(eligibilityFiles, "eligibility")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// PovertyGuidelines are the HHS poverty guidelines shipped
// (poverty_guidelines.json); LINKAGE_POVERTY_GUIDELINES_FILE replaces them.
func PovertyGuidelines() []byte {
	b, err := eligibilityFiles.ReadFile("eligibility/poverty_guidelines.json")
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}
