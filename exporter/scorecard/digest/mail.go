package digest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// newMsg builds the digest mail with go-mail: the text form and the HTML
// as alternatives; with charts, the HTML's PNGs inline in a
// multipart/related part under the Content-IDs the HTML refers to.
func newMsg(r *Rendered, from string, to []string, date time.Time) (*gomail.Msg, error) {
	m := gomail.NewMsg()
	if err := m.From(from); err != nil {
		return nil, fmt.Errorf("from %q: %w", from, err)
	}
	if len(to) > 0 {
		if err := m.To(to...); err != nil {
			return nil, fmt.Errorf("to %v: %w", to, err)
		}
	}
	m.Subject(r.Card.Subject())
	m.SetDateWithValue(date)
	m.SetMessageIDWithValue(fmt.Sprintf("%s.%d@heady-scorecard", r.Card.Week, date.UnixNano()))
	m.SetGenHeader("X-Heady-Scorecard-Week", r.Card.Week.String())
	m.SetUserAgent("heady-exporter")
	m.SetBodyString(gomail.TypeTextPlain, string(r.Text))
	m.AddAlternativeString(gomail.TypeTextHTML, string(r.HTML))
	for _, ch := range r.Charts {
		if err := m.EmbedReader(ch.File, bytes.NewReader(ch.PNG), gomail.WithFileContentID(ch.ContentID),
			gomail.WithFileContentType(gomail.ContentType("image/png"))); err != nil {
			return nil, fmt.Errorf("chart %s: %w", ch.KPI, err)
		}
	}
	return m, nil
}

// Message renders the digest mail as it is sent (for digest.eml).
func Message(r *Rendered, from string, to []string, date time.Time) ([]byte, error) {
	m, err := newMsg(r, from, to, date)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SMTPConfig says how to send the digest.
type SMTPConfig struct {
	// Smarthost is host:port of the SMTP server (submission: 587).
	Smarthost string
	From      string
	To        []string
	// Hello is the name sent with EHLO (default "localhost").
	Hello string
	// Username and Password enable AUTH PLAIN, which is only sent over TLS
	// or to a loopback server.
	Username, Password string
	// RequireTLS fails the delivery when the server offers no STARTTLS;
	// otherwise STARTTLS is used whenever the server offers it.
	RequireTLS bool
	// TLS configures STARTTLS (ServerName defaults to the smarthost's
	// host).
	TLS *tls.Config
	// Timeout bounds the whole conversation (default 1m).
	Timeout time.Duration
}

// Validate checks the addresses and the smarthost.
func (c SMTPConfig) Validate() error {
	if _, _, err := net.SplitHostPort(c.Smarthost); err != nil {
		return fmt.Errorf("smtp smarthost %q: want host:port: %w", c.Smarthost, err)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("smtp from %q: %w", c.From, err)
	}
	if len(c.To) == 0 {
		return errors.New("smtp: no recipient")
	}
	for _, t := range c.To {
		if _, err := mail.ParseAddress(t); err != nil {
			return fmt.Errorf("smtp to %q: %w", t, err)
		}
	}
	return nil
}

// Send delivers the digest to every recipient in one SMTP transaction
// with go-mail's client: STARTTLS whenever the server offers it (required
// with RequireTLS), AUTH PLAIN with a username (go-mail sends it only
// over TLS or to a loopback server).
func Send(ctx context.Context, c SMTPConfig, r *Rendered, date time.Time) error {
	if err := c.Validate(); err != nil {
		return err
	}
	m, err := newMsg(r, c.From, c.To, date)
	if err != nil {
		return err
	}
	host, portText, _ := net.SplitHostPort(c.Smarthost)
	port, err := strconv.Atoi(portText)
	if err != nil {
		return fmt.Errorf("smtp smarthost %q: port: %w", c.Smarthost, err)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	hello := c.Hello
	if hello == "" {
		hello = "localhost"
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLS != nil {
		tlsCfg = c.TLS.Clone()
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = host
	}
	policy := gomail.TLSOpportunistic
	if c.RequireTLS {
		policy = gomail.TLSMandatory
	}
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(timeout), gomail.WithHELO(hello),
		gomail.WithTLSPolicy(policy), gomail.WithTLSConfig(tlsCfg)}
	if c.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The connection is ours to close: go-mail v0.8.1 leaves it open when
	// EHLO, STARTTLS or AUTH fails, and closing it when ctx ends stops a
	// stalled conversation.
	var conns connSet
	defer conns.close()
	stop := context.AfterFunc(ctx, conns.close)
	defer stop()
	opts = append(opts, gomail.WithDialContextFunc(conns.dial))
	cl, err := gomail.NewClient(host, opts...)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", c.Smarthost, err)
	}
	if err := cl.DialAndSendWithContext(ctx, m); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return fmt.Errorf("smtp %s: %w", c.Smarthost, err)
	}
	return nil
}

// connSet dials and remembers the connections, to close them.
type connSet struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (s *connSet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err == nil {
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
	}
	return c, err
}

func (s *connSet) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close() // tearing down after a failure: its error is the one reported
	}
	s.conns = nil
}
