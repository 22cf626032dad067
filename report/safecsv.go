package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// SafeCell makes one text cell of a CSV report safe to open in a spreadsheet
// and to parse with any CSV reader. The rule, applied to every text cell
// (names, keys, IDs, titles, details; never to the numbers, booleans and
// times ownerscan generates itself):
//
//  1. Each byte that is not part of valid UTF-8 is replaced by U+FFFD, as
//     encoding/json does in report.json, so the same key reads the same in
//     both reports.
//  2. A cell that starts with '=', '+', '-', '@', a tab or a carriage return
//     would be run as a formula by Excel, LibreOffice or Google Sheets
//     (CSV / formula injection). Such a cell gets a single quote ' prefixed,
//     as OWASP advises (https://owasp.org/www-community/attacks/CSV_Injection).
//     A cell that already starts with a single quote gets one more, so the
//     rule can be undone without ambiguity: if a cell starts with ', drop
//     that one character and you have the original text.
//  3. Everything else is kept byte for byte, newlines, quotes, commas and
//     control characters included; the CSV writer (encoding/csv, RFC 4180)
//     then quotes the cell wherever needed, so a hostile key is always
//     exactly one cell of one row.
func SafeCell(s string) string {
	if !utf8.ValidString(s) {
		s = replaceInvalidUTF8(s)
	}
	if s != "" && strings.IndexByte(formulaTriggers, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// formulaTriggers are the first characters that SafeCell neutralises: the
// OWASP list plus the quote itself, which keeps the rule reversible.
const formulaTriggers = "=+-@\t\r'"

// replaceInvalidUTF8 replaces every byte that is not part of a valid UTF-8
// sequence with U+FFFD, one replacement per byte, like encoding/json.
func replaceInvalidUTF8(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// rowWriter writes CSV rows whose cells are built by the methods below, so
// that each cell is either neutralised text or a value we generated, and
// no cell is longer than maxCellBytes.
type rowWriter struct {
	w   *csv.Writer
	row []string
	// capNote says where the whole text of a cut cell is, e.g. "full text
	// in report.json"; "" when nowhere else.
	capNote string
}

func newRowWriter(w io.Writer, capNote string) *rowWriter {
	return &rowWriter{w: csv.NewWriter(w), capNote: capNote}
}

// text appends a text cell, made safe by SafeCell and cut to maxCellBytes.
func (r *rowWriter) text(s string) { r.row = append(r.row, capText(SafeCell(s), r.capNote)) }

// int appends a number we computed.
func (r *rowWriter) int(n int64) { r.row = append(r.row, strconv.FormatInt(n, 10)) }

// bool appends true or false.
func (r *rowWriter) bool(b bool) { r.row = append(r.row, strconv.FormatBool(b)) }

// time appends an RFC 3339 UTC time, or an empty cell for the zero time.
func (r *rowWriter) time(t time.Time) {
	if t.IsZero() {
		r.row = append(r.row, "")
		return
	}
	r.row = append(r.row, t.UTC().Format(time.RFC3339))
}

// header writes the header row; header names are ours and need no escaping.
func (r *rowWriter) header(names []string) error { return r.w.Write(names) }

// end writes the cells appended since the last row.
func (r *rowWriter) end() error {
	err := r.w.Write(r.row)
	r.row = r.row[:0]
	return err
}

// flush writes buffered rows to the underlying writer.
func (r *rowWriter) flush() error {
	r.w.Flush()
	return r.w.Error()
}
