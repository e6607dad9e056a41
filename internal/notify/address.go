package notify

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// special is every range of the IANA IPv4 and IPv6 special-purpose address
// registries that is not globally reachable, with multicast and the
// deprecated IPv6 site-local range. A webhook may not be delivered into any
// of them: they are the server's own host and networks, or nobody's.
// Smaller ranges come before the ranges that hold them, for their names.
// The few globally reachable /32s and /48s inside 192.0.0.0/24 and
// 2001::/23 (anycast services no webhook receiver runs on) are refused too.
var special = []struct {
	prefix netip.Prefix
	name   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `an address of "this network"`},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private-use address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT shared address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"}, // cloud metadata answers there
	{netip.MustParsePrefix("172.16.0.0/12"), "a private-use address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("192.88.99.0/24"), "a deprecated 6to4 relay anycast address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private-use address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("255.255.255.255/32"), "the limited broadcast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},

	{netip.MustParsePrefix("::/128"), "the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "the loopback address"},
	{netip.MustParsePrefix("::/96"), "a deprecated IPv4-compatible address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address"},
	{netip.MustParsePrefix("100:0:0:1::/64"), "a dummy IPv6 address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("2001::/23"), "an IETF protocol assignment such as Teredo"},
	{netip.MustParsePrefix("3fff::/20"), "a documentation address"},
	{netip.MustParsePrefix("5f00::/16"), "an SRv6 segment identifier"},
	{netip.MustParsePrefix("fc00::/7"), "a unique-local address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "a deprecated site-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

var (
	// IPv6 forms of an IPv4 address reach that address: they are as
	// public as it is (IPv4-mapped ::ffff:0:0/96 is unmapped first).
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	// Outside 2000::/3 IANA has allocated no global unicast address.
	globalUnicast = netip.MustParsePrefix("2000::/3")
)

// SpecialPurpose says why a is not a public internet address, naming its
// range ("a loopback address in 127.0.0.0/8"), or "" if it is one.
func SpecialPurpose(a netip.Addr) string {
	if !a.IsValid() {
		return "not an IP address"
	}
	if z := a.Zone(); z != "" {
		if why := SpecialPurpose(a.WithZone("")); why != "" {
			return why
		}
		return "a scoped address with zone " + z
	}
	a = a.Unmap()
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return embedded("NAT64", netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return embedded("6to4", netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	for _, s := range special {
		if s.prefix.Contains(a) {
			return s.name + " in " + s.prefix.String()
		}
	}
	if a.Is6() && !globalUnicast.Contains(a) {
		return "an address IANA has not allocated for global unicast, outside " + globalUnicast.String()
	}
	return ""
}

func embedded(form string, v4 netip.Addr) string {
	if why := SpecialPurpose(v4); why != "" {
		return "the " + form + " form of " + v4.String() + ", " + why
	}
	return ""
}

// CheckHost says what is wrong with host, the Hostname of a webhook URL
// (nil if nothing). A host meant as an IPv4 address must be written as a
// canonical dotted quad: resolvers read 127.1, 0x7f.0.0.1, 0177.0.0.1 and
// 2130706433 as 127.0.0.1, so such spellings hide where a webhook goes.
// Unless allowPrivate, localhost and addresses that are not public are
// refused. A domain name passes: the addresses it resolves to are checked
// when the worker connects. The message reads after the field name.
func CheckHost(host string, allowPrivate bool) error {
	if err := checkSpelling(host); err != nil {
		return err
	}
	if allowPrivate {
		return nil
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return errors.New("points at this server (localhost); webhooks go to public endpoints")
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if why := SpecialPurpose(a); why != "" {
			return fmt.Errorf("points at %s, %s, which is not reachable on the public internet; give the public address or domain name of the receiver", host, why)
		}
	}
	return nil
}

// checkSpelling refuses a host meant as an IPv4 address that is not
// written as a canonical dotted quad.
func checkSpelling(host string) error {
	if !numericHost(host) {
		return nil
	}
	if a, err := netip.ParseAddr(host); err != nil || !a.Is4() || a.String() != host {
		return fmt.Errorf("writes an IPv4 address in a short, octal, hexadecimal or decimal form (%s); write it as four "+
			"decimal numbers without leading zeros, such as 93.184.216.34, or use the receiver's domain name", clip(host))
	}
	return nil
}

// numericHost says whether host is meant as an IPv4 address, as the WHATWG
// URL standard decides: its last label is a decimal number, or hexadecimal
// after 0x. No top-level domain is a number.
func numericHost(host string) bool {
	if strings.Contains(host, ":") {
		return false // IPv6
	}
	h := strings.TrimSuffix(host, ".")
	last := h[strings.LastIndexByte(h, '.')+1:]
	if hex, ok := strings.CutPrefix(strings.ToLower(last), "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// checkDialed refuses a connection to an address that is not public,
// whatever name led there (DNS rebinding included). address is the
// "ip:port" the dialer is about to connect to.
func checkDialed(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook address %s is not public: not an IP address and port", address)
	}
	if why := SpecialPurpose(ap.Addr()); why != "" {
		return &notPublicError{addr: ap.Addr(), why: why}
	}
	return nil
}

// notPublicError is a connection refused because the receiver's name led
// to an address that is not public.
type notPublicError struct {
	addr netip.Addr
	why  string
}

func (e *notPublicError) Error() string {
	return fmt.Sprintf("webhook address %s is not public: %s", e.addr, e.why)
}

// clip shortens a host quoted in a message.
func clip(s string) string {
	if r := []rune(s); len(r) > 100 {
		return string(r[:100]) + "..."
	}
	return s
}
