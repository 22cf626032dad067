// Package report writes the results of a scan: report.json, findings.csv,
// buckets.csv, readiness.csv, the streamed objects.csv, and the human
// summary for stdout.
//
// Every file is written atomically (see EnsureDir and Write): a reader of the
// output folder sees either the previous file or the new one, never a
// truncated one, and never a file written through a link someone planted at
// the final name. Files are created with mode 0600.
//
// The writers keep the order the scanner gave (it sorts accounts, buckets and
// findings) and take every time they write from the Result, so the same
// Result always gives the same bytes. CSV cells are made safe for
// spreadsheets by SafeCell.
package report

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ownerscan/ownerscan/scanner"
)

// Format names a report format, as given to --format and output.formats.
type Format string

// Report formats.
const (
	FormatJSON Format = "json"
	FormatCSV  Format = "csv"
)

// File names of the reports.
const (
	ReportJSONFile  = "report.json"
	FindingsCSVFile = "findings.csv"
	BucketsCSVFile  = "buckets.csv"
	// ObjectsCSVFile is streamed by ObjectsCSV while the scan runs; Write
	// does not produce it.
	ObjectsCSVFile = "objects.csv"
	// ReadinessCSVFile has one row per bucket not enforced: its readiness
	// verdict, blockers and changes.
	ReadinessCSVFile = "readiness.csv"
)

// FormatInfo describes one report format.
type FormatInfo struct {
	Name        Format
	Files       []string // files the format produces in the output folder
	Description string
}

// Formats lists every report format, in the order their files are written.
// It drives ParseFormats, Write and the --format help text.
var Formats = []FormatInfo{
	{
		Name:        FormatJSON,
		Files:       []string{ReportJSONFile},
		Description: "one JSON document with the whole result (schema_version 1), for pipelines",
	},
	{
		Name:        FormatCSV,
		Files:       []string{FindingsCSVFile, BucketsCSVFile, ReadinessCSVFile, ObjectsCSVFile},
		Description: "one row per finding, per bucket, per bucket's readiness to enforce, and per cross-account object version, for spreadsheets",
	},
}

// fileWriters maps each file Write produces to its writer. objects.csv has
// none: it is streamed by ObjectsCSV during the scan.
var fileWriters = map[string]func(io.Writer, *Document) error{
	ReportJSONFile:   writeJSON,
	FindingsCSVFile:  writeFindingsCSV,
	BucketsCSVFile:   writeBucketsCSV,
	ReadinessCSVFile: writeReadinessCSV,
}

// Tool names the program that wrote a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ParseFormats parses a comma-separated list of format names such as
// "csv,json". Spaces around names are ignored and repeated names count once;
// the result keeps the order given.
func ParseFormats(list string) ([]Format, error) {
	var out []Format
	for _, part := range strings.Split(list, ",") {
		name := Format(strings.TrimSpace(part))
		if name == "" {
			return nil, fmt.Errorf("report: format list %q: empty format name (known: %s)", list, knownFormats())
		}
		if _, ok := lookupFormat(name); !ok {
			return nil, fmt.Errorf("report: unknown format %q (known: %s)", name, knownFormats())
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

func lookupFormat(name Format) (FormatInfo, bool) {
	for _, f := range Formats {
		if f.Name == name {
			return f, true
		}
	}
	return FormatInfo{}, false
}

func knownFormats() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f.Name)
	}
	return strings.Join(names, ", ")
}

// Write writes the reports of the given formats into dir (created with mode
// 0700 if missing): report.json for json, findings.csv and buckets.csv for
// csv. objects.csv is not written here; stream it with NewObjectsCSV and
// publish it with WriteWithObjects. See WriteWithObjects for the order.
func Write(dir string, res *scanner.Result, tool Tool, formats []Format) error {
	return WriteWithObjects(dir, res, tool, formats, nil)
}

// WriteWithObjects writes the reports of the given formats into dir, as
// Write does, and publishes the streamed objects (nil: none) with them.
//
// What a reader of the folder can rely on: every file is written in full to
// a temporary file beside its final name (".NAME.RANDOM.tmp"), and only
// when all of them are on disk are they renamed into place. report.json is
// the commit point: the previous report.json is removed before the first
// rename and the new one is renamed last. So whenever report.json exists,
// the other report files beside it are those of the same run, the run its
// started_at names (provided no two runs write into one folder at once; see
// LockDir). A reader that finds no report.json is looking at a folder being
// written, or whose writer failed. No file is ever seen truncated. On error
// no temporary file is left behind.
func WriteWithObjects(dir string, res *scanner.Result, tool Tool, formats []Format, objects *ObjectsCSV) error {
	if res == nil {
		return errors.New("report: write: nil result")
	}
	if len(formats) == 0 {
		return errors.New("report: write: no format given")
	}
	for _, f := range formats {
		if _, ok := lookupFormat(f); !ok {
			return fmt.Errorf("report: write: unknown format %q (known: %s)", f, knownFormats())
		}
	}
	if err := mkdirOutput(dir); err != nil {
		return err
	}
	doc := newDocument(res, tool)

	var staged []*atomicFile
	var commitPoint *atomicFile // report.json, renamed last
	abortAll := func() {
		for _, f := range staged {
			f.abort()
		}
		if commitPoint != nil {
			commitPoint.abort()
		}
		if objects != nil {
			objects.Abort()
		}
	}
	for _, info := range Formats {
		if !slices.Contains(formats, info.Name) {
			continue
		}
		for _, name := range info.Files {
			write, ok := fileWriters[name]
			if !ok {
				continue // streamed separately (objects.csv)
			}
			f, err := createAtomic(dir, name)
			if err != nil {
				abortAll()
				return err
			}
			if name == ReportJSONFile {
				commitPoint = f
			} else {
				staged = append(staged, f)
			}
			if err := write(f.buffered(), doc); err != nil {
				abortAll()
				return fmt.Errorf("report: write %s: %w", name, err)
			}
			if err := f.finish(); err != nil {
				abortAll()
				return err
			}
		}
	}
	if objects != nil {
		f, err := objects.stage()
		if err != nil {
			abortAll()
			return err
		}
		staged = append(staged, f)
	}
	// Everything is on disk. From here on the folder has no report.json
	// until the new one is in place.
	if err := os.Remove(filepath.Join(dir, ReportJSONFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		abortAll()
		return fmt.Errorf("report: remove the previous %s: %w", ReportJSONFile, err)
	}
	if commitPoint != nil {
		staged = append(staged, commitPoint)
		commitPoint = nil
	}
	for i, f := range staged {
		if err := f.commit(); err != nil {
			for _, rest := range staged[i:] {
				rest.abort()
			}
			return err
		}
	}
	return nil
}
