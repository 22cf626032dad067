package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxCellBytes bounds every text cell of the CSV reports, summary
// included. Spreadsheets refuse longer cells (Excel and Google Sheets hold
// at most 32,767 characters in one), and Python's csv module stops at
// 131,072 unless told otherwise; a bucket with thousands of foreign owners
// would otherwise make a cell of hundreds of thousands. Counted in bytes of
// UTF-8, which are never fewer than the characters (or UTF-16 units) a
// reader counts, with room for the quote SafeCell may add.
const maxCellBytes = 32000

// capList joins items with sep into one cell of at most maxCellBytes: the
// items that fit, in order, then "… and N more (full list in report.json)".
func capList(items []string, sep string) string {
	total := len(sep) * max(len(items)-1, 0)
	for _, it := range items {
		total += len(it)
	}
	if total <= maxCellBytes {
		return strings.Join(items, sep)
	}
	note := func(n int) string { return fmt.Sprintf("… and %d more (full list in report.json)", n) }
	var b strings.Builder
	for i, it := range items {
		// Written so far: items[:i], and their note for items[i:] fits
		// (checked on the step before). Take items[i] only if the note
		// for what then remains fits too.
		lead := ""
		if i > 0 {
			lead = sep
		}
		need := len(lead) + len(it)
		if rest := len(items) - i - 1; rest > 0 {
			need += len(sep) + len(note(rest))
		}
		if b.Len()+need > maxCellBytes {
			if i == 0 { // even the first item does not fit
				return capText(strings.Join(items, sep), "full list in report.json")
			}
			return b.String() + lead + note(len(items)-i)
		}
		b.WriteString(lead)
		b.WriteString(it)
	}
	return b.String()
}

// capText cuts a text cell longer than maxCellBytes at a character
// boundary and says how much is missing and where the whole text is
// (note, e.g. "full text in report.json"; "" when it is nowhere else).
func capText(s, note string) string {
	if len(s) <= maxCellBytes {
		return s
	}
	suffix := func(n int) string {
		if note == "" {
			return fmt.Sprintf("… and %d more characters", n)
		}
		return fmt.Sprintf("… and %d more characters (%s)", n, note)
	}
	// The suffix of the longest possible count bounds the room left.
	cut := maxCellBytes - len(suffix(utf8.RuneCountInString(s)))
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + suffix(utf8.RuneCountInString(s[cut:]))
}
