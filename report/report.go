package report

import (
	"errors"
	"fmt"
	"io"
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
	FormatOCSF Format = "ocsf"
	FormatASFF Format = "asff"
	FormatHTML Format = "html"
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
	FindingsOCSFFile = "findings.ocsf.json"
	FindingsASFFFile = "findings.asff.json"
	ReportHTMLFile   = "report.html"
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
	{
		Name:        FormatOCSF,
		Files:       []string{FindingsOCSFFile},
		Description: "the findings as OCSF 1.6.0 Compliance Findings (class 2003), a JSON array, for security data lakes",
	},
	{
		Name:        FormatASFF,
		Files:       []string{FindingsASFFFile},
		Description: "the findings in AWS Security Finding Format, a JSON array for aws securityhub batch-import-findings",
	},
	{
		Name:        FormatHTML,
		Files:       []string{ReportHTMLFile},
		Description: "one self-contained page to open in a browser: summary, changes, findings, buckets, accounts; sortable and filterable",
	},
}

// fileWriters maps each file Write produces to its writer. objects.csv has
// none: it is streamed by ObjectsCSV during the scan.
var fileWriters = map[string]func(io.Writer, *Document) error{
	ReportJSONFile:   writeJSON,
	FindingsCSVFile:  writeFindingsCSV,
	BucketsCSVFile:   writeBucketsCSV,
	FindingsOCSFFile: writeOCSF,
	FindingsASFFFile: writeASFF,
	ReportHTMLFile:   writeHTML,
	ReadinessCSVFile: writeReadinessCSV,
}

// ToolName is Tool.Name in the reports ownerscan writes; a report read
// back (a baseline, latest.json in S3) must carry it.
const ToolName = "ownerscan"

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
// Write does, and publishes the streamed objects (nil: none) with them: it
// stages them (see Stage) and commits them (see Staged.Commit).
//
// What a reader of the folder can rely on: every file is written in full to
// a temporary file beside its final name (".NAME.RANDOM.tmp"), and only
// when all of them are on disk are they renamed into place. report.json is
// the commit point: the previous report.json goes before the first rename
// and the new one is renamed last. So whenever report.json exists, the
// other report files beside it are those of the same run, the run its
// started_at names (provided no two runs write into one folder at once; see
// LockDir). A reader that finds no report.json is looking at a folder being
// written, or whose writer died. No file is ever seen truncated. On error
// the folder holds what it held before, and no temporary file is left.
func WriteWithObjects(dir string, res *scanner.Result, tool Tool, formats []Format, objects *ObjectsCSV) error {
	s, err := Stage(dir, res, tool, formats, objects)
	if err != nil {
		return err
	}
	return s.Commit()
}

// WriteDocument writes doc (see NewDocument) as WriteWithObjects writes a
// result: the same files, the same order, the same commit point.
func WriteDocument(dir string, doc *Document, formats []Format, objects *ObjectsCSV) error {
	s, err := StageDocument(dir, doc, formats, objects)
	if err != nil {
		return err
	}
	return s.Commit()
}

// Stage writes the reports of the given formats into temporary files in dir
// (created with mode 0700 if missing) and stages the streamed objects (nil:
// none) with them; nothing is renamed into place. Commit the result to
// publish them, or Abort it. Report files of other formats (and objects.csv
// when objects is nil) are retired by the commit, so the folder never holds
// files of two runs side by side. On error nothing is left behind: the
// temporary files, objects' included, are removed.
func Stage(dir string, res *scanner.Result, tool Tool, formats []Format, objects *ObjectsCSV) (*Staged, error) {
	if res == nil {
		if objects != nil {
			objects.Abort()
		}
		return nil, errors.New("report: write: nil result")
	}
	return StageDocument(dir, NewDocument(res, tool, nil), formats, objects)
}

// StageDocument is Stage for a document made with NewDocument (a result
// with its comparison to a baseline).
func StageDocument(dir string, doc *Document, formats []Format, objects *ObjectsCSV) (*Staged, error) {
	abortObjects := func() {
		if objects != nil {
			objects.Abort()
		}
	}
	if doc == nil || doc.Result == nil {
		abortObjects()
		return nil, errors.New("report: write: nil document")
	}
	if len(formats) == 0 {
		abortObjects()
		return nil, errors.New("report: write: no format given")
	}
	for _, f := range formats {
		if _, ok := lookupFormat(f); !ok {
			abortObjects()
			return nil, fmt.Errorf("report: write: unknown format %q (known: %s)", f, knownFormats())
		}
	}
	if err := mkdirOutput(dir); err != nil {
		abortObjects()
		return nil, err
	}

	s := &Staged{dir: dir}
	var commitPoint *atomicFile // report.json: written first, renamed last
	fail := func(err error) (*Staged, error) {
		if commitPoint != nil {
			s.files = append(s.files, commitPoint)
		}
		s.Abort()
		abortObjects()
		return nil, err
	}
	for _, name := range formatFiles(formats) {
		f, err := createAtomic(dir, name)
		if err != nil {
			return fail(err)
		}
		if name == ReportJSONFile {
			commitPoint = f
		} else {
			s.files = append(s.files, f)
		}
		if err := Render(f.buffered(), name, doc); err != nil {
			return fail(err)
		}
		if err := f.finish(); err != nil {
			return fail(err)
		}
	}
	if objects != nil {
		f, err := objects.stage()
		if err != nil {
			return fail(err)
		}
		s.files = append(s.files, f)
	}
	if commitPoint != nil {
		s.files = append(s.files, commitPoint)
	}
	for _, name := range reportFileNames() {
		if !slices.ContainsFunc(s.files, func(f *atomicFile) bool { return f.name == name }) {
			s.retire = append(s.retire, name)
		}
	}
	return s, nil
}

// RenderedFiles lists the report files of the formats that Render writes,
// in the order they are put in place: that of Formats, report.json (the
// commit point) last. objects.csv, which is streamed while the scan runs
// (ObjectsCSV, ObjectRows), is not among them. Unknown formats produce
// nothing.
func RenderedFiles(formats []Format) []string {
	names := formatFiles(formats)
	if i := slices.Index(names, ReportJSONFile); i >= 0 {
		names = append(slices.Delete(names, i, i+1), ReportJSONFile)
	}
	return names
}

// formatFiles lists the report files of the formats that Render writes, in
// the order of Formats.
func formatFiles(formats []Format) []string {
	var names []string
	for _, info := range Formats {
		if !slices.Contains(formats, info.Name) {
			continue
		}
		for _, name := range info.Files {
			if _, rendered := fileWriters[name]; rendered {
				names = append(names, name)
			}
		}
	}
	return names
}

// Render writes the report file named name (one of RenderedFiles) of doc
// to w, unbuffered: give it a buffered writer.
func Render(w io.Writer, name string, doc *Document) error {
	write, ok := fileWriters[name]
	if !ok {
		return fmt.Errorf("report: %s is not a rendered report file", name)
	}
	if err := write(w, doc); err != nil {
		return fmt.Errorf("report: write %s: %w", name, err)
	}
	return nil
}
