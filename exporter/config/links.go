package config

import (
	"fmt"
	"net"
	"net/mail"

	"go.yaml.in/yaml/v3"

	"github.com/heady/heady-metrics/links"
)

// ExternalURL is Grafana's root as people open it: the one setting for
// links that leave Grafana (package links). Empty: no such links.
type ExternalURL struct{ links.Base }

// UnmarshalYAML parses and checks the URL.
func (u *ExternalURL) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &lineError{line: n.Line, key: "external_url", msg: "expected a URL"}
	}
	b, err := links.Parse(n.Value)
	if err != nil {
		return &lineError{line: n.Line, key: "external_url", msg: err.Error()}
	}
	u.Base = b
	return nil
}

// MarshalYAML writes the URL back.
func (u ExternalURL) MarshalYAML() (any, error) { return u.URL, nil }

// DigestConfig is the weekly digest's mail settings; the digest command's
// --smtp.* flags override each.
type DigestConfig struct {
	SMTP SMTPConfig `yaml:"smtp"`
}

// SMTPConfig says how the digest is mailed.
type SMTPConfig struct {
	// Smarthost is host:port of the SMTP server (submission: 587).
	Smarthost string `yaml:"smarthost"`
	// From is the sender, an RFC 5322 address ("Heady <scorecard@example.com>").
	From string `yaml:"from"`
	// To lists the recipients.
	To []string `yaml:"to"`
	// Hello is the name sent with EHLO (default localhost).
	Hello string `yaml:"hello"`
	// AuthUsername enables SMTP AUTH with the password in
	// AuthPasswordFile (or the HEADY_SMTP_PASSWORD environment variable).
	AuthUsername     string `yaml:"auth_username"`
	AuthPasswordFile string `yaml:"auth_password_file"`
	// RequireTLS fails when the server offers no STARTTLS.
	RequireTLS bool `yaml:"require_tls"`
	// TLSCAFile holds the CA certificates (PEM) to verify the server with.
	TLSCAFile string `yaml:"tls_ca_file"`
	// Timeout bounds the conversation (default 1m).
	Timeout Duration `yaml:"timeout"`

	line int
}

// UnmarshalYAML records the block's line for validation errors.
func (s *SMTPConfig) UnmarshalYAML(n *yaml.Node) error {
	type plain SMTPConfig
	if err := decodeStrict(n, (*plain)(s)); err != nil {
		return err
	}
	s.line = n.Line
	return nil
}

// finish resolves paths and checks what is set: a smarthost as host:port
// and valid addresses. Whether the digest has all it needs is checked when
// it runs, after its flags are applied (Check): a flag may complete the
// file.
func (s *SMTPConfig) finish(base string) error {
	s.AuthPasswordFile = resolve(base, s.AuthPasswordFile)
	s.TLSCAFile = resolve(base, s.TLSCAFile)
	if err := s.checkSet(); err != nil {
		return &lineError{line: max(s.line, 1), key: "digest.smtp", msg: err.Error()}
	}
	return nil
}

// checkSet checks the settings that are given.
func (s *SMTPConfig) checkSet() error {
	if s.Smarthost != "" {
		if _, _, err := net.SplitHostPort(s.Smarthost); err != nil {
			return fmt.Errorf("smarthost %q: want host:port", s.Smarthost)
		}
	}
	if s.From != "" {
		if _, err := mail.ParseAddress(s.From); err != nil {
			return fmt.Errorf("from %q is not a valid address: %v", s.From, err)
		}
	}
	for _, t := range s.To {
		if _, err := mail.ParseAddress(t); err != nil {
			return fmt.Errorf("to %q is not a valid address: %v", t, err)
		}
	}
	return nil
}

// Check reports the first setting the digest's mail lacks or has wrong,
// naming the configuration key and the flag that set it.
func (s *SMTPConfig) Check() error {
	switch {
	case s.Smarthost == "":
		return fmt.Errorf("no SMTP server: set digest.smtp.smarthost (host:port) in the configuration file, or --smtp.smarthost")
	case s.From == "":
		return fmt.Errorf("no sender: set digest.smtp.from (for example \"Heady <scorecard@example.com>\") in the configuration file, or --smtp.from")
	case len(s.To) == 0:
		return fmt.Errorf("no recipient: set digest.smtp.to in the configuration file, or --smtp.to")
	}
	return s.checkSet()
}
