package client

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// handshakePatience is how long a TLS handshake may go unanswered before
// the client checks whether the port speaks plain HTTP instead.
const handshakePatience = time.Second

// PlainHTTPError says that an https URL reached a port that answers plain
// HTTP (a tcd without TLS): the handshake would only time out.
type PlainHTTPError struct{ Addr string }

func (e *PlainHTTPError) Error() string {
	return fmt.Sprintf("%s answers plain HTTP, not TLS: use http://%s (or give tcd a certificate: SSL_CERT_PATH and SSL_KEY_PATH)", e.Addr, e.Addr)
}

// dialTLS returns a DialTLSContext that performs the handshake itself and,
// when the server stays silent for handshakePatience, asks the same port a
// plain HTTP question: a server that answers it is a plain-HTTP tcd, and
// the dial fails at once with *PlainHTTPError instead of after the
// handshake timeout.
func dialTLS(cfg *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{Timeout: 10 * time.Second}
		raw, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := cfg.Clone()
		if c.ServerName == "" {
			if host, _, err := net.SplitHostPort(addr); err == nil {
				c.ServerName = host
			}
		}
		conn := tls.Client(raw, c)
		hsCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- conn.HandshakeContext(hsCtx) }()
		var hsErr error
		select {
		case hsErr = <-done:
		case <-time.After(handshakePatience):
			if plainHTTP(ctx, network, addr) {
				raw.Close()
				<-done
				return nil, &PlainHTTPError{Addr: addr}
			}
			hsErr = <-done
		}
		if hsErr != nil {
			raw.Close()
			if plainHTTP(ctx, network, addr) {
				return nil, &PlainHTTPError{Addr: addr}
			}
			return nil, hsErr
		}
		return conn, nil
	}
}

// plainHTTP reports whether addr answers a plain HTTP request within two
// seconds.
func plainHTTP(ctx context.Context, network, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if _, err := fmt.Fprintf(conn, "GET /health/live HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", addr); err != nil {
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return strings.HasPrefix(resp.Proto, "HTTP/")
}
