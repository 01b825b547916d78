// Package smtptest runs a small, real SMTP server on loopback for tests: it
// speaks EHLO/HELO, AUTH PLAIN (when a user is configured), MAIL FROM, RCPT
// TO, DATA, RSET, NOOP and QUIT, offers no STARTTLS, and records every
// message it accepts. It can fail the next deliveries with a chosen reply
// code, and hold a delivery after recording it, before it answers, to stand
// for a connection lost at the worst moment. It is not a mail server: it
// relays nothing.
package smtptest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Config configures a Server. A non-empty User requires AUTH PLAIN with
// User and Password before MAIL FROM.
type Config struct {
	User     string
	Password string
}

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	// Data is the message as received, dot-stuffing undone, CRLF line ends.
	Data []byte
	// User is the authenticated user, empty without AUTH.
	User string
}

// Header parses the message's header.
func (m Message) Header() mail.Header {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return mail.Header{}
	}
	return msg.Header
}

// Server is a running SMTP server. Its methods are safe for concurrent use.
type Server struct {
	cfg Config
	ln  net.Listener
	wg  sync.WaitGroup

	mu       sync.Mutex
	msgs     []Message
	failN    int
	failCode int
	hold     chan struct{} // non-nil: accepted messages wait on it to answer
	conns    map[net.Conn]bool
	closed   bool
	done     chan struct{} // closed by Close
	authFail int
}

// Start starts a server on 127.0.0.1 with a free port; it stops when the
// test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{cfg: cfg, ln: ln, conns: map[net.Conn]bool{}, done: make(chan struct{})}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.Close)
	return s
}

// Host returns the server's host (127.0.0.1).
func (s *Server) Host() string { return s.ln.Addr().(*net.TCPAddr).IP.String() }

// Port returns the server's port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Messages returns the accepted messages, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// FailNext makes the next n deliveries fail after DATA with code (a 4xx or
// 5xx reply code); the messages are not recorded.
func (s *Server) FailNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, code
}

// Hold makes every accepted message wait, recorded already, before its 250
// reply until release is called.
func (s *Server) Hold() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.hold = ch
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.hold = nil
			s.mu.Unlock()
			close(ch)
		})
	}
}

// AuthFailures reports how many AUTH attempts were refused.
func (s *Server) AuthFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authFail
}

// Close stops the server and closes its connections.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// session is the state of one connection.
type session struct {
	s    *Server
	r    *bufio.Reader
	w    net.Conn
	user string
	from string
	to   []string
	mail bool
}

func (s *Server) session(c net.Conn) {
	c.SetDeadline(time.Now().Add(time.Minute))
	se := &session{s: s, r: bufio.NewReader(c), w: c}
	se.reply(220, "smtptest ready")
	for {
		line, err := se.r.ReadString('\n')
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		if !se.command(strings.ToUpper(verb), arg) {
			return
		}
	}
}

// command answers one command; false ends the session.
func (se *session) command(verb, arg string) bool {
	switch verb {
	case "EHLO":
		lines := []string{"smtptest"}
		if se.s.cfg.User != "" {
			lines = append(lines, "AUTH PLAIN")
		}
		lines = append(lines, "8BITMIME")
		for i, l := range lines {
			sep := "-"
			if i == len(lines)-1 {
				sep = " "
			}
			fmt.Fprintf(se.w, "250%s%s\r\n", sep, l)
		}
	case "HELO":
		se.reply(250, "smtptest")
	case "AUTH":
		se.auth(arg)
	case "MAIL":
		if se.s.cfg.User != "" && se.user == "" {
			se.reply(530, "authentication required")
			break
		}
		se.from, se.to, se.mail = address(arg), nil, true
		se.reply(250, "ok")
	case "RCPT":
		if !se.mail {
			se.reply(503, "MAIL first")
			break
		}
		se.to = append(se.to, address(arg))
		se.reply(250, "ok")
	case "DATA":
		return se.data()
	case "RSET":
		se.from, se.to, se.mail = "", nil, false
		se.reply(250, "ok")
	case "NOOP":
		se.reply(250, "ok")
	case "QUIT":
		se.reply(221, "bye")
		return false
	default:
		se.reply(502, "command not implemented")
	}
	return true
}

// auth handles AUTH PLAIN, with or without an initial response.
func (se *session) auth(arg string) {
	mech, resp, _ := strings.Cut(arg, " ")
	if !strings.EqualFold(mech, "PLAIN") || se.s.cfg.User == "" {
		se.reply(504, "mechanism not supported")
		return
	}
	if resp == "" {
		se.reply(334, "")
		line, err := se.r.ReadString('\n')
		if err != nil {
			return
		}
		resp = strings.TrimRight(line, "\r\n")
	}
	b, err := base64.StdEncoding.DecodeString(resp)
	parts := bytes.Split(b, []byte{0})
	if err != nil || len(parts) != 3 || string(parts[1]) != se.s.cfg.User ||
		string(parts[2]) != se.s.cfg.Password {
		se.s.mu.Lock()
		se.s.authFail++
		se.s.mu.Unlock()
		se.reply(535, "authentication failed")
		return
	}
	se.user = string(parts[1])
	se.reply(235, "authenticated")
}

// data reads a message and answers for it.
func (se *session) data() bool {
	if !se.mail || len(se.to) == 0 {
		se.reply(503, "MAIL and RCPT first")
		return true
	}
	se.reply(354, "end with <CRLF>.<CRLF>")
	var buf bytes.Buffer
	for {
		line, err := se.r.ReadString('\n')
		if err != nil {
			return false
		}
		if line == ".\r\n" || line == ".\n" {
			break
		}
		buf.WriteString(strings.TrimPrefix(line, "."))
	}
	msg := Message{From: se.from, To: se.to, Data: buf.Bytes(), User: se.user}
	se.from, se.to, se.mail = "", nil, false

	s := se.s
	s.mu.Lock()
	if s.failN > 0 {
		s.failN--
		code := s.failCode
		s.mu.Unlock()
		se.reply(code, "delivery refused by the test")
		return true
	}
	s.msgs = append(s.msgs, msg)
	hold := s.hold
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-s.done:
			return false
		}
	}
	se.reply(250, "queued as "+strconv.Itoa(len(msg.Data)))
	return true
}

func (se *session) reply(code int, text string) {
	fmt.Fprintf(se.w, "%d %s\r\n", code, text)
}

// address extracts the address from "FROM:<a@b> SIZE=1" or "TO:<a@b>".
func address(arg string) string {
	_, rest, _ := strings.Cut(arg, ":")
	rest = strings.TrimSpace(rest)
	if i := strings.Index(rest, ">"); strings.HasPrefix(rest, "<") && i > 0 {
		return rest[1:i]
	}
	return rest
}
