package notify

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
)

// A delivery's recorded error is about the receiver, in words; it never
// shows this server's resolver, addresses or Go error text.
func TestDescribeSendError(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Post", URL: "https://receiver.example/hook", Err: err} }
	for _, c := range []struct {
		err  error
		want string
	}{
		{wrap(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "vm.", Server: "10.255.255.53:53", IsNotFound: true}}), "does not resolve"},
		{wrap(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "server misbehaving", Name: "vm.", Server: "10.255.255.53:53"}}), "could not be looked up"},
		{wrap(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), "refused the connection"},
		{wrap(context.DeadlineExceeded), "did not answer in time"},
		{wrap(&notPublicError{addr: netip.MustParseAddr("10.1.2.3"), why: "a private address"}), "is not public"},
		{wrap(errors.New("dial tcp 10.9.9.9:443: internal thing at /var/run/x")), "failed before the receiver answered"},
	} {
		got := describeSendError(c.err)
		if !strings.Contains(got, c.want) || strings.Contains(got, "10.255") || strings.Contains(got, "/var/run") || strings.Contains(got, "vm.") {
			t.Errorf("%v: %q, want it to say %q", c.err, got, c.want)
		}
	}
}
