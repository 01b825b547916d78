package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// SMTPConfig configures the e-mail channel. Host and From are required.
type SMTPConfig struct {
	// Host and Port of the SMTP server (submission). Port defaults to 587.
	Host string
	Port int
	// From is the sender address ("Vigil <vigil@example.com>").
	From string
	// User and Password, when User is set, authenticate with AUTH PLAIN,
	// which net/smtp allows only over TLS or to a loopback host.
	User     string
	Password Secret
	// TLS configures STARTTLS, used whenever the server offers it. Default:
	// verify the server as Host.
	TLS *tls.Config
	// RequireTLS refuses to send when the server does not offer STARTTLS.
	// Default false.
	RequireTLS bool
	// HelloName is the name sent with EHLO. Default "localhost".
	HelloName string
	// Timeout bounds one whole delivery, connection included, unless the
	// context ends sooner. Default 30 s.
	Timeout time.Duration
}

// Email sends notifications over SMTP, one connection per message. It is
// safe for concurrent use.
type Email struct {
	cfg    SMTPConfig
	from   *mail.Address
	domain string
}

// NewEmail checks cfg and applies its defaults.
func NewEmail(cfg SMTPConfig) (*Email, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: empty host")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: from %q: %w", cfg.From, err)
	}
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("smtp: port %d out of range", cfg.Port)
	}
	if cfg.TLS == nil {
		cfg.TLS = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultSendTimeout
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &Email{cfg: cfg, from: from, domain: domain}, nil
}

// MessageID returns the Message-ID of notification n from a sender of the
// given domain: the same for every attempt, so that a receiver can drop a
// duplicate.
func MessageID(n *Notification, domain string) string {
	sum := sha256.Sum256([]byte(n.Key))
	return fmt.Sprintf("<vigil.%d.%s@%s>", n.ID, hex.EncodeToString(sum[:8]), domain)
}

// DeliveryID returns the Message-ID that Send gives n.
func (e *Email) DeliveryID(n *Notification) string { return MessageID(n, e.domain) }

// Send delivers n to n.Recipient; it returns nil once the server accepted
// the message (250 after DATA).
func (e *Email) Send(ctx context.Context, n *Notification) error {
	to, err := mail.ParseAddress(n.Recipient)
	if err != nil {
		return fmt.Errorf("smtp: recipient: %w", err)
	}
	msg, err := e.message(n, to)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	addr := net.JoinHostPort(e.cfg.Host, strconv.Itoa(e.cfg.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := e.converse(conn, to.Address, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("smtp: %w", ctx.Err())
		}
		return err
	}
	return nil
}

// converse runs one SMTP session on conn.
func (e *Email) converse(conn net.Conn, to string, msg []byte) error {
	c, err := smtp.NewClient(conn, e.cfg.Host)
	if err != nil {
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(e.cfg.HelloName); err != nil {
		return fmt.Errorf("smtp: EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(e.cfg.TLS); err != nil {
			return fmt.Errorf("smtp: STARTTLS: %w", err)
		}
	} else if e.cfg.RequireTLS {
		return errors.New("smtp: the server does not offer STARTTLS, which is required")
	}
	if e.cfg.User != "" {
		auth := smtp.PlainAuth("", e.cfg.User, e.cfg.Password.Reveal(), e.cfg.Host)
		if err := c.Auth(auth); err != nil {
			return fmt.Errorf("smtp: AUTH PLAIN as %s: %w", e.cfg.User, err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("smtp: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: message refused: %w", err)
	}
	// The message is accepted: a failed QUIT does not make it unsent.
	c.Quit()
	return nil
}

// message builds the RFC 5322 message of n: plain UTF-8 text in
// quoted-printable, with a stable Message-ID.
func (e *Email) message(n *Notification, to *mail.Address) ([]byte, error) {
	var b bytes.Buffer
	date := n.Created
	if date.IsZero() {
		date = time.Now()
	}
	hdr := [][2]string{
		{"From", e.from.String()},
		{"To", to.String()},
		{"Subject", mime.QEncoding.Encode("utf-8", n.Subject)},
		{"Date", date.UTC().Format(time.RFC1123Z)},
		{"Message-ID", MessageID(n, e.domain)},
		{"Auto-Submitted", "auto-generated"},
		{"X-Vigil-Notification", strconv.FormatInt(n.ID, 10)},
		{"X-Vigil-Trigger", string(n.Trigger)},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	}
	for _, h := range hdr {
		if strings.ContainsAny(h[1], "\r\n") {
			return nil, fmt.Errorf("smtp: header %s holds a line break", h[0])
		}
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(strings.ReplaceAll(n.Body, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, fmt.Errorf("smtp: encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("smtp: encode body: %w", err)
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}
