package fakeaws

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is an Emulator listening on a loopback address in the background.
type Server struct {
	// URL is the base endpoint, e.g. "http://127.0.0.1:43121".
	URL string
	// Emulator is the handler being served.
	Emulator *Emulator

	srv      *http.Server
	listener net.Listener
	done     chan error

	closeOnce sync.Once
	closeErr  error
}

// NewServer builds an emulator for sc and serves it on addr ("" means
// 127.0.0.1:0, a free loopback port) until Close.
func NewServer(sc *Scenario, addr string) (*Server, error) {
	e, err := New(sc)
	if err != nil {
		return nil, err
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fakeaws: listen: %w", err)
	}
	s := &Server{
		URL:      "http://" + ln.Addr().String(),
		Emulator: e,
		srv: &http.Server{
			Handler:           e,
			ReadHeaderTimeout: 30 * time.Second,
		},
		listener: ln,
		done:     make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Close stops the server and closes all connections. Calling it again
// returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		err := s.srv.Close()
		if serveErr := <-s.done; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
			s.closeErr = fmt.Errorf("fakeaws: serve: %w", serveErr)
			return
		}
		if err != nil {
			s.closeErr = fmt.Errorf("fakeaws: close: %w", err)
		}
	})
	return s.closeErr
}
