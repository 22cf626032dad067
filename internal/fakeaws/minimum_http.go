package fakeaws

import (
	"encoding/json"
	"io"
	"net/http"
)

// MinimumPath is the unsigned endpoint that answers Minimum: POST a
// ScanShape as JSON, get a Minimum. `scan --stats` against `ownerscan
// emulate` asks it, so that its min_calls come from the emulator too.
const MinimumPath = "/_fakeaws/minimum"

// serveMinimum answers POST /_fakeaws/minimum. It is not counted.
func (e *Emulator) serveMinimum(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	var shape ScanShape
	dec := json.NewDecoder(io.LimitReader(r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&shape); err != nil {
		http.Error(w, "fakeaws: minimum: "+err.Error(), http.StatusBadRequest)
		return
	}
	m, err := e.Minimum(shape)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(m)
}
