package main

import (
	"io"
	"log/slog"
	"os"
	"sync"

	"golang.org/x/term"
)

// Log formats of --log-format.
const (
	logFormatText = "text"
	logFormatJSON = "json"
)

// newLogger builds the logger of one run: text or JSON records on w, info
// and above, or warnings and above with quiet. Components add their own
// "component" attribute with logger.With.
func newLogger(w io.Writer, format string, quiet bool) (*slog.Logger, error) {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case logFormatText:
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case logFormatJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("--log-format: %q is not a log format (text or json)", format)
}

// statusWriter is stderr shared by log records and the live progress line.
// Each Write (slog writes one record per call) first erases the progress
// line, then redraws it below the record, so logs never end up glued to or
// overwritten by the progress line.
type statusWriter struct {
	mu     sync.Mutex
	w      io.Writer
	status string // the progress line on screen, "" when none
}

// eraseLine returns the cursor to column 0 and clears the line (ANSI).
const eraseLine = "\r\x1b[K"

func (s *statusWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status == "" {
		return s.w.Write(p)
	}
	if _, err := io.WriteString(s.w, eraseLine); err != nil {
		return 0, err
	}
	n, err := s.w.Write(p)
	if err != nil {
		return n, err
	}
	_, err = io.WriteString(s.w, s.status)
	return n, err
}

// setStatus replaces the progress line.
func (s *statusWriter) setStatus(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = io.WriteString(s.w, eraseLine+line) // best effort: progress is cosmetic
	s.status = line
}

// clearStatus erases the progress line for good.
func (s *statusWriter) clearStatus() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != "" {
		_, _ = io.WriteString(s.w, eraseLine)
		s.status = ""
	}
}

// terminalWidth returns the width of w if it is a terminal, ok false if it
// is not (a file, a pipe, a test buffer).
func terminalWidth(w io.Writer) (width int, ok bool) {
	f, isFile := w.(*os.File)
	if !isFile || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = 80
	}
	return width, true
}
