package notify

import (
	"net/netip"
	"strings"
	"testing"
)

// TestSpecialPurpose: every range of the IANA special-purpose registries
// that is not globally reachable is refused, at creation (CheckHost) and
// when dialing (checkDialed), including IPv6 forms of such IPv4 addresses;
// public addresses, right next to those ranges too, are accepted.
func TestSpecialPurpose(t *testing.T) {
	refused := []string{
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254", "127.0.0.1", "127.255.0.1",
		"169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.1", "192.0.0.9", "192.0.0.170", "192.0.2.1",
		"192.88.99.1", "192.168.1.1", "198.18.0.1", "198.19.255.255", "198.51.100.1", "203.0.113.1", "224.0.0.1",
		"239.255.255.250", "240.0.0.1", "254.1.2.3", "255.255.255.255",
		"::", "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:0.0.0.0", "::127.0.0.1", "::a00:1",
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::ffff:ffff", "64:ff9b:1::1", "64:ff9b:1:ffff::5db8:d822",
		"100::1", "100:0:0:1::1", "2001::1", "2001:0:4136:e378::1", "2001:1::1", "2001:2::1", "2001:3::1", "2001:10::1",
		"2001:20::1", "2001:1ff:ffff::1", "2001:db8::1", "2001:db8:ffff::1", "2002:7f00:1::1", "2002:a00:1::1",
		"2002:c0a8:101::1", "3fff::1", "3fff:fff::1", "5f00::1", "fc00::1", "fd12:3456::1", "fe80::1", "fe80::1%eth0",
		"febf::1", "fec0::1", "ff02::1", "ff0e::1", "4000::1", "e000::1",
	}
	accepted := []string{
		"93.184.216.34", "8.8.8.8", "1.1.1.1", "9.255.255.255", "11.0.0.1", "100.63.255.255", "100.128.0.1", "126.255.255.255",
		"128.0.0.1", "169.253.255.255", "172.15.255.255", "172.32.0.1", "192.0.1.1", "192.88.98.1", "198.17.255.255",
		"198.20.0.1", "223.255.255.255",
		"2606:4700::1111", "2001:4860:4860::8888", "2001:200::1", "2a00:1450:4001::1", "::ffff:93.184.216.34",
		"64:ff9b::5db8:d822", "2002:5db8:d822::1",
	}
	for _, s := range refused {
		a := netip.MustParseAddr(s)
		why := SpecialPurpose(a)
		if why == "" {
			t.Errorf("%s is accepted", s)
			continue
		}
		host := a.String()
		if err := CheckHost(host, false); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("CheckHost(%s) = %v, want the range %q", host, err, why)
		}
		if err := checkDialed(netip.AddrPortFrom(a, 443).String()); err == nil || !strings.Contains(err.Error(), "not public") {
			t.Errorf("checkDialed(%s) = %v", s, err)
		}
		if err := CheckHost(host, true); err != nil {
			t.Errorf("CheckHost(%s) with private addresses allowed = %v", host, err)
		}
	}
	for _, s := range accepted {
		a := netip.MustParseAddr(s)
		if why := SpecialPurpose(a); why != "" {
			t.Errorf("%s is refused: %s", s, why)
		}
		if err := CheckHost(a.String(), false); err != nil {
			t.Errorf("CheckHost(%s) = %v", s, err)
		}
		if err := checkDialed(netip.AddrPortFrom(a, 443).String()); err != nil {
			t.Errorf("checkDialed(%s) = %v", s, err)
		}
	}
}

// The registry's names reach the message, and IPv6 forms name the IPv4
// address they lead to.
func TestSpecialPurpose_Names(t *testing.T) {
	for addr, want := range map[string]string{
		"0.1.2.3":         `an address of "this network" in 0.0.0.0/8`,
		"100.64.0.1":      "a carrier-grade NAT shared address in 100.64.0.0/10",
		"127.0.0.1":       "a loopback address in 127.0.0.0/8",
		"255.255.255.255": "the limited broadcast address in 255.255.255.255/32",
		"240.0.0.1":       "a reserved address in 240.0.0.0/4",
		"64:ff9b::7f00:1": "the NAT64 form of 127.0.0.1, a loopback address in 127.0.0.0/8",
		"2002:a00:1::":    "the 6to4 form of 10.0.0.1, a private-use address in 10.0.0.0/8",
		"::ffff:10.1.2.3": "a private-use address in 10.0.0.0/8",
		"fe80::1%eth0":    "a link-local address in fe80::/10",
		"2001:db8::1":     "a documentation address in 2001:db8::/32",
		"4000::1":         "an address IANA has not allocated for global unicast, outside 2000::/3",
	} {
		if got := SpecialPurpose(netip.MustParseAddr(addr)); got != want {
			t.Errorf("SpecialPurpose(%s) = %q, want %q", addr, got, want)
		}
	}
	if got := SpecialPurpose(netip.Addr{}); got == "" {
		t.Error("the zero Addr is accepted")
	}
}

// TestCheckHost: IPv4 addresses written other than as a canonical dotted
// quad are refused even where private addresses are allowed, with a
// message saying what to write; names are left to the dialer, but for
// localhost.
func TestCheckHost(t *testing.T) {
	for _, host := range []string{"127.1", "0x7f.0.0.1", "017700000001", "2130706433", "0177.0.0.1", "127.0.0.1.",
		"0x7f000001", "0X7F000001", "1.2.3.0x4", "127.000.000.001", "08.8.8.8", "93.184.216.034", "1.2.3.4.5", "0x",
		"93.184.55720", "256.1.1.1"} {
		for _, allowPrivate := range []bool{false, true} {
			err := CheckHost(host, allowPrivate)
			if err == nil || !strings.Contains(err.Error(), "write it as four decimal numbers") {
				t.Errorf("CheckHost(%q, %v) = %v, want the non-canonical spelling refused", host, allowPrivate, err)
			}
		}
	}
	for _, host := range []string{"localhost", "LOCALHOST", "api.localhost", "localhost."} {
		if err := CheckHost(host, false); err == nil || !strings.Contains(err.Error(), "localhost") {
			t.Errorf("CheckHost(%q) = %v", host, err)
		}
		if err := CheckHost(host, true); err != nil {
			t.Errorf("CheckHost(%q) with private addresses allowed = %v", host, err)
		}
	}
	for _, host := range []string{"hooks.example.org", "example.org.", "1e100.net", "123.example.com", "cafe.be", "0x7f.example",
		"xn--bcher-kva.example", "93.184.216.34"} {
		if err := CheckHost(host, false); err != nil {
			t.Errorf("CheckHost(%q) = %v", host, err)
		}
	}
}
