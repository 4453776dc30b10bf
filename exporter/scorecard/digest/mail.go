package digest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// Message builds the digest mail: multipart/alternative with the text
// form first and the HTML last; when there are charts, the HTML and the
// chart PNGs form a multipart/related part, each PNG inline with the
// Content-ID the HTML refers to.
func Message(r *Rendered, from string, to []string, date time.Time) ([]byte, error) {
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from)
	if len(to) > 0 {
		hdr("To", strings.Join(to, ", "))
	} else {
		hdr("To", "undisclosed-recipients:;")
	}
	hdr("Subject", mime.QEncoding.Encode("utf-8", r.Card.Subject()))
	hdr("Date", date.Format(time.RFC1123Z))
	hdr("Message-ID", fmt.Sprintf("<%s.%d@heady-scorecard>", r.Card.Week, date.UnixNano()))
	hdr("MIME-Version", "1.0")
	hdr("X-Heady-Scorecard-Week", r.Card.Week.String())

	alt := multipart.NewWriter(&b)
	hdr("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": alt.Boundary()}))
	b.WriteString("\r\n")

	if err := qpPart(alt, "text/plain; charset=utf-8", r.Text); err != nil {
		return nil, err
	}
	if len(r.Charts) == 0 {
		if err := qpPart(alt, "text/html; charset=utf-8", r.HTML); err != nil {
			return nil, err
		}
		return finish(&b, alt)
	}
	var rel bytes.Buffer
	relw := multipart.NewWriter(&rel)
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", mime.FormatMediaType("multipart/related", map[string]string{"boundary": relw.Boundary(), "type": "text/html"}))
	pw, err := alt.CreatePart(h)
	if err != nil {
		return nil, err
	}
	if err := qpPart(relw, "text/html; charset=utf-8", r.HTML); err != nil {
		return nil, err
	}
	for _, ch := range r.Charts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", "image/png")
		h.Set("Content-Transfer-Encoding", "base64")
		h.Set("Content-ID", "<"+ch.ContentID+">")
		h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": ch.File}))
		w, err := relw.CreatePart(h)
		if err != nil {
			return nil, err
		}
		if err := writeBase64(w, ch.PNG); err != nil {
			return nil, err
		}
	}
	if err := relw.Close(); err != nil {
		return nil, err
	}
	if _, err := pw.Write(rel.Bytes()); err != nil {
		return nil, err
	}
	return finish(&b, alt)
}

func finish(b *bytes.Buffer, w *multipart.Writer) ([]byte, error) {
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func qpPart(w *multipart.Writer, ctype string, body []byte) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", ctype)
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	pw, err := w.CreatePart(h)
	if err != nil {
		return err
	}
	qw := quotedprintable.NewWriter(pw)
	if _, err := qw.Write(body); err != nil {
		return err
	}
	return qw.Close()
}

// writeBase64 writes b in base64 lines of 76 characters (RFC 2045).
func writeBase64(w interface{ Write([]byte) (int, error) }, b []byte) error {
	s := base64.StdEncoding.EncodeToString(b)
	for len(s) > 0 {
		n := min(76, len(s))
		if _, err := fmt.Fprintf(w, "%s\r\n", s[:n]); err != nil {
			return err
		}
		s = s[n:]
	}
	return nil
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

// Send delivers msg to every recipient in one SMTP transaction.
func Send(ctx context.Context, c SMTPConfig, msg []byte) error {
	if err := c.Validate(); err != nil {
		return err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, _ := net.SplitHostPort(c.Smarthost)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.Smarthost)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", c.Smarthost, err)
	}
	dl, _ := ctx.Deadline()
	if err := conn.SetDeadline(dl); err != nil {
		_ = conn.Close()
		return fmt.Errorf("smtp %s: %w", c.Smarthost, err)
	}
	// Close the connection if ctx ends first, which unblocks net/smtp.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	err = converse(conn, host, c, msg)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("smtp %s: %w", c.Smarthost, err)
	}
	return nil
}

func converse(conn net.Conn, host string, c SMTPConfig, msg []byte) error {
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close() // the handshake's error is the one to report
		return err
	}
	defer cl.Close() //nolint:errcheck // after QUIT, or after the error returned: the close says nothing more
	hello := c.Hello
	if hello == "" {
		hello = "localhost"
	}
	if err := cl.Hello(hello); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if ok, _ := cl.Extension("STARTTLS"); ok {
		cfg := &tls.Config{}
		if c.TLS != nil {
			cfg = c.TLS.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		if err := cl.StartTLS(cfg); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	} else if c.RequireTLS {
		return errors.New("server offers no STARTTLS and TLS is required")
	}
	if c.Username != "" {
		if ok, _ := cl.Extension("AUTH"); !ok {
			return errors.New("credentials given but the server offers no AUTH")
		}
		if err := cl.Auth(smtp.PlainAuth("", c.Username, c.Password, host)); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	from, _ := mail.ParseAddress(c.From)
	if err := cl.Mail(from.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, t := range c.To {
		a, _ := mail.ParseAddress(t)
		if err := cl.Rcpt(a.Address); err != nil {
			return fmt.Errorf("RCPT TO %s: %w", a.Address, err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	return cl.Quit()
}
