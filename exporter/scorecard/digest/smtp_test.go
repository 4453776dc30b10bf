package digest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heady/heady-metrics/internal/testutil"
)

// smtpServer is a minimal SMTP server for the tests: EHLO, optional
// STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT.
type smtpServer struct {
	ln         net.Listener
	tls        *tls.Config // nil: no STARTTLS offered
	user, pass string      // "": no AUTH required

	mu    sync.Mutex
	mails []received
	wg    sync.WaitGroup
}

type received struct {
	from   string
	to     []string
	data   []byte
	tls    bool
	authed string
}

func startSMTP(t *testing.T, tlsCfg *tls.Config, user, pass string) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, tls: tlsCfg, user: user, pass: pass}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpServer) addr() string { return s.ln.Addr().String() }

func (s *smtpServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.mails...)
}

func (s *smtpServer) serve(c net.Conn) {
	defer func() { c.Close() }()
	tp := textproto.NewConn(c)
	var cur received
	// A failed reply shows on the client's side of the conversation.
	reply := func(lines ...string) { _ = tp.PrintfLine("%s", strings.Join(lines, "\r\n")) }
	reply("220 test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"250-test greets " + arg}
			if s.tls != nil && !cur.tls {
				ext = append(ext, "250-STARTTLS")
			}
			ext = append(ext, "250 AUTH PLAIN")
			reply(ext...)
		case "STARTTLS":
			if s.tls == nil || cur.tls {
				reply("502 no")
				continue
			}
			reply("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c = tc
			tp = textproto.NewConn(c)
			cur = received{tls: true}
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			b, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(b), "\x00")
			if mech != "PLAIN" || err != nil || len(parts) != 3 || parts[1] != s.user || parts[2] != s.pass {
				reply("535 authentication failed")
				continue
			}
			cur.authed = parts[1]
			reply("235 ok")
		case "MAIL":
			if s.user != "" && cur.authed == "" {
				reply("530 authentication required")
				continue
			}
			cur.from = strings.TrimSuffix(strings.TrimPrefix(arg, "FROM:<"), ">")
			reply("250 ok")
		case "RCPT":
			cur.to = append(cur.to, strings.TrimSuffix(strings.TrimPrefix(arg, "TO:<"), ">"))
			reply("250 ok")
		case "DATA":
			reply("354 go on")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			cur.data = b
			s.mu.Lock()
			s.mails = append(s.mails, cur)
			s.mu.Unlock()
			cur = received{tls: cur.tls, authed: cur.authed}
			reply("250 queued")
		case "QUIT":
			reply("221 bye")
			return
		case "NOOP", "RSET":
			reply("250 ok")
		default:
			reply("502 unknown command")
		}
	}
}

// selfSigned returns a server TLS config for 127.0.0.1 and the pool that
// trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	c := testutil.SelfSigned(t, time.Now().Add(time.Hour))
	return &tls.Config{Certificates: []tls.Certificate{c.TLS}}, c.Pool
}
