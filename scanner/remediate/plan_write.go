package remediate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WritePlan writes p to path, indented for reviewers, atomically: to a new
// file (mode 0600) beside it, synced, then renamed over path, so a reader
// never sees half a plan. The digest does not depend on the indentation.
func WritePlan(path string, p *Plan) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return fmt.Errorf("remediate: write plan: %w", err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("remediate: write plan: %w", err)
	}
	_, werr := tmp.Write(buf.Bytes())
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("remediate: write plan %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("remediate: write plan %s: %w", path, err)
	}
	_ = syncDir(dir) // the rename itself survives a crash
	return nil
}

// ReadPlanFile reads the plan at path (see ReadPlan).
func ReadPlanFile(path string) (*Plan, error) {
	f, err := openRegular(path, "the plan")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadPlan(f)
}

// openRegular opens path to read it, refusing what cannot be opened or is
// not a regular file (a folder, a device, a pipe). what names the file in
// errors: "the plan".
func openRegular(path, what string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, refuseErr("cannot read "+what, err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, refuse(fmt.Sprintf("%s %s is not a regular file", what, path))
	}
	return f, nil
}
