// Package openapi holds Linkage's OpenAPI contract, openapi.yaml: the HSDS 3.1
// read API and the operational endpoints, in OpenAPI 3.0.3.
//
// The document is embedded here, next to the file, because go:embed cannot
// reach a parent directory. The HTTP layer (which serves it as /openapi.json
// and may validate requests against it) and the tests therefore load the very
// same bytes.
package openapi

import _ "embed"

// YAML is the OpenAPI document as written in openapi.yaml. Treat it as
// read-only; load it with openapi3.NewLoader().LoadFromData(openapi.YAML).
//
//go:embed openapi.yaml
var YAML []byte
