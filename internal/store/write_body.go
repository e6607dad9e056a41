package store

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
)

// What the write workflows do with bodies: decode, merge, check the
// references, and write the history of a change.

// decodeStrict decodes one JSON object, refusing fields Linkage does not
// keep (HSDS 3.1 fields and the tz extension only); explain words the
// decoding error.
func decodeStrict(doc []byte, v any, explain func([]byte, error) error) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return explain(doc, err)
	}
	if dec.More() {
		return apperr.E(apperr.Invalid, "The request body holds more than one JSON value.")
	}
	return nil
}

// MergePatch applies an RFC 7386 merge patch to doc; explain words an
// error decoding the patch.
func MergePatch(doc, patch []byte, explain func([]byte, error) error) ([]byte, error) {
	var p any
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, explain(patch, err)
	}
	if _, ok := p.(map[string]any); !ok {
		return nil, apperr.E(apperr.Invalid, "A merge patch must be a JSON object.")
	}
	var d any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	return json.Marshal(merge(d, p))
}

func merge(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = merge(tm[k], v)
	}
	return tm
}

// rebase points the field errors of err, found in a service, at the body
// of a request that changed only its collection's item: "/capacities/2/x"
// becomes "/x".
func rebase(err error, collection string) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	for i := range e.Fields {
		if _, rest, found := strings.Cut(e.Fields[i].Pointer, "/"+collection+"/"); found {
			if _, tail, ok := strings.Cut(rest, "/"); ok {
				e.Fields[i].Pointer = "/" + tail
			} else {
				e.Fields[i].Pointer = ""
			}
		}
	}
	return err
}

// skipHistory are the fields a change's history leaves out: nested records
// with histories of their own, and what the server sets.
var skipHistory = map[string]bool{"metadata": true, "last_modified": true, "organization": true, "program": true, "services": true, "locations": true}

// maxHistoryValue bounds one previous or replacement value in history.
const maxHistoryValue = 4000

// history is the HSDS metadata of a write: one row per top-level field that
// changed (nested children count as their field), or one "*" row for a
// new record.
func history(entity, id string, curJSON []byte, x any, by string, exists bool) ([]hsds.Metadata, error) {
	if !exists {
		return []hsds.Metadata{{ResourceID: id, ResourceType: entity, LastActionType: "create", FieldName: "*", UpdatedBy: by}}, nil
	}
	newJSON, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	var before, after map[string]json.RawMessage
	if err := json.Unmarshal(curJSON, &before); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(newJSON, &after); err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		if !skipHistory[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var out []hsds.Metadata
	for _, k := range names {
		if bytes.Equal(before[k], after[k]) {
			continue
		}
		out = append(out, hsds.Metadata{ResourceID: id, ResourceType: entity, LastActionType: "update", FieldName: k,
			PreviousValue: historyValue(before[k]), ReplacementValue: historyValue(after[k]), UpdatedBy: by})
	}
	return out, nil
}

func historyValue(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	v := string(raw)
	if json.Unmarshal(raw, &s) == nil {
		v = s
	}
	if len(v) > maxHistoryValue {
		v = v[:maxHistoryValue] + "…"
	}
	return v
}

func fieldNames(meta []hsds.Metadata) string {
	var out []string
	for _, m := range meta {
		out = append(out, m.FieldName)
	}
	return strings.Join(out, ",")
}

// refs collects references to check in one query per kind of record.
type refs struct {
	want map[string]map[string][]string // entity -> id -> pointers naming it
}

func (r *refs) add(entity, id, pointer string) {
	if id == "" {
		return
	}
	if r.want == nil {
		r.want = map[string]map[string][]string{}
	}
	if r.want[entity] == nil {
		r.want[entity] = map[string][]string{}
	}
	id = strings.ToLower(id)
	r.want[entity][id] = append(r.want[entity][id], pointer)
}

// check reports every reference to a record that does not exist, with the
// other problems in fe, as one 422.
func (r *refs) check(ctx context.Context, tx *txn, fe apperr.FieldErrors, what string) error {
	for entity, ids := range r.want {
		list := make([]string, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		exist, err := tx.ExistingIDs(ctx, entity, list)
		if err != nil {
			return err
		}
		for id, ptrs := range ids {
			if !exist[id] {
				for _, p := range ptrs {
					fe.Add(p, "no %s has id %s", strings.ReplaceAll(entity, "_", " "), id)
				}
			}
		}
	}
	if len(fe) > 0 {
		sort.SliceStable(fe, func(i, j int) bool { return fe[i].Pointer < fe[j].Pointer })
		return apperr.WithFields(apperr.Unprocessable, what+" is not valid; errors lists every problem.", fe)
	}
	return nil
}

// fieldErrors are the field problems of a Validate error (nil when valid).
func fieldErrors(err error) (apperr.FieldErrors, error) {
	if err == nil {
		return nil, nil
	}
	e, ok := apperr.As(err)
	if !ok || len(e.Fields) == 0 {
		return nil, err
	}
	return e.Fields, nil
}

func attrRefs(r *refs, as []hsds.Attribute, ptr string) {
	for i, a := range as {
		r.add("taxonomy_term", a.TaxonomyTermID, ptr+"/attributes/"+strconv.Itoa(i)+"/taxonomy_term_id")
	}
}
