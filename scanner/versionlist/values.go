package versionlist

import "time"

// The parsers below accept a subset of what the SDK accepts for the same
// field and produce the same value on it; outside the subset they refuse,
// and the page goes to the SDK's deserializer.

// parseBool accepts "true" and "false" (strconv.ParseBool accepts more).
func parseBool(b []byte) (v, ok bool) {
	switch string(b) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// parseSize accepts a non-negative decimal int64 without sign.
func parseSize(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if v > (1<<63-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// parseTimestamp accepts "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z", the form S3 uses,
// with the range checks of time.Parse, and returns the time in UTC exactly
// as smithy-go's ParseDateTime would.
func parseTimestamp(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(b []byte) (int, bool) {
		v := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	nsec := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		v, ok := num(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for n := len(frac) - 1; n < 9; n++ {
			v *= 10
		}
		nsec = v
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// unescapeURL decodes b in place as url.QueryUnescape does ('+' is a space,
// %XX a byte) and returns the decoded length, or ok false on a malformed
// escape. S3 encodes keys this way when asked for encoding-type=url.
func unescapeURL(b []byte) (n int, ok bool) {
	w := 0
	for r := 0; r < len(b); r++ {
		c := b[r]
		switch c {
		case '+':
			c = ' '
		case '%':
			if r+2 >= len(b) {
				return 0, false
			}
			hi, ok1 := unhex(b[r+1])
			lo, ok2 := unhex(b[r+2])
			if !ok1 || !ok2 {
				return 0, false
			}
			c = hi<<4 | lo
			r += 2
		}
		b[w] = c
		w++
	}
	return w, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
