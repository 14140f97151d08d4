package znode

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// ACL schemes this package knows. "world" has the single id "anyone";
// "auth" only appears in requests (fixupACL expands it); "digest", "sasl"
// and "x509" ids match a caller's identity of the same scheme and id; "ip"
// ids are an address or a CIDR prefix matched against the caller's IP.
const (
	schemeWorld  = "world"
	schemeAuth   = "auth"
	schemeDigest = "digest"
	schemeIP     = "ip"
	schemeSASL   = "sasl"
	schemeX509   = "x509"
)

// fixupACL is ZooKeeper's check of the ACL in a create or setACL request:
// duplicates are dropped, every entry must be valid, and an "auth" entry
// becomes one entry per authenticated identity of the caller (with none,
// the ACL is invalid). It returns the ACL to store and false when the
// request must fail with ZINVALIDACL.
func fixupACL(acl []ACL, a Auth) ([]ACL, bool) {
	if len(acl) == 0 {
		return nil, false
	}
	acl = uniq(acl)
	out := make([]ACL, 0, len(acl))
	for _, e := range acl {
		switch {
		case e.Scheme == schemeWorld && e.ID == "anyone":
			out = append(out, e)
		case e.Scheme == schemeAuth:
			n := len(out)
			for _, id := range uniq(a.IDs) {
				if authenticated(id.Scheme) {
					out = append(out, ACL{Perms: e.Perms, Scheme: id.Scheme, ID: id.ID})
				}
			}
			if len(out) == n {
				return nil, false
			}
		case validID(e.Scheme, e.ID):
			out = append(out, e)
		default:
			return nil, false
		}
	}
	return out, true
}

// authenticated reports whether a caller identity of this scheme counts for
// "auth" ACL entries (ZooKeeper's isAuthenticated; "ip" does not).
func authenticated(scheme string) bool {
	return scheme == schemeDigest || scheme == schemeSASL || scheme == schemeX509
}

// validID is ZooKeeper's per-scheme isValid for ACL ids.
func validID(scheme, id string) bool {
	switch scheme {
	case schemeDigest:
		// Java's id.split(":") has exactly two parts: trailing empty
		// parts are dropped before counting.
		parts := strings.Split(id, ":")
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		return len(parts) == 2
	case schemeIP:
		_, ok := parseIPACL(id)
		return ok
	case schemeSASL, schemeX509:
		return true
	}
	return false
}

// allowed is ZooKeeper's checkACL: the caller may act with perm when it is
// super, when acl is empty, or when an entry granting perm matches it.
func allowed(acl []ACL, perm int32, a Auth) bool {
	if a.Super || len(acl) == 0 {
		return true
	}
	for _, e := range acl {
		if e.Perms&perm != 0 && matches(e, a) {
			return true
		}
	}
	return false
}

func matches(e ACL, a Auth) bool {
	switch e.Scheme {
	case schemeWorld:
		return e.ID == "anyone"
	case schemeIP:
		return ipMatches(a.IP, e.ID)
	case schemeDigest, schemeSASL, schemeX509:
		return slices.Contains(a.IDs, ID{Scheme: e.Scheme, ID: e.ID})
	}
	return false
}

// parseIPACL parses an "ip" id: an IPv4 or IPv6 address without zone,
// optionally followed by "/bits" with bits within the address length.
func parseIPACL(id string) (netip.Prefix, bool) {
	addrPart, bitsPart, hasBits := strings.Cut(id, "/")
	addr, err := netip.ParseAddr(addrPart)
	if err != nil || addr.Zone() != "" {
		return netip.Prefix{}, false
	}
	bits := addr.BitLen()
	if hasBits {
		n, err := strconv.Atoi(bitsPart)
		if err != nil || n < 0 || n > bits {
			return netip.Prefix{}, false
		}
		bits = n
	}
	p, err := addr.Prefix(bits)
	return p, err == nil
}

// ipMatches reports whether the caller's address ip lies in the "ip" id. An
// IPv4 address never matches an IPv6 id and vice versa, as in ZooKeeper.
func ipMatches(ip, id string) bool {
	p, ok := parseIPACL(id)
	if !ok {
		return false
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.WithZone("")
	return addr.BitLen() == p.Addr().BitLen() && p.Contains(addr)
}

// redacted returns acl with the secret of every digest id replaced by "x",
// as getACL answers a caller without ADMIN.
func redacted(acl []ACL) []ACL {
	out := slices.Clone(acl)
	for i, e := range out {
		if e.Scheme != schemeDigest {
			continue
		}
		if j := strings.IndexByte(e.ID, ':'); j >= 0 {
			out[i].ID = e.ID[:j] + ":x"
		}
	}
	return out
}

// uniq returns xs without the elements equal to an earlier one, in order.
// Short lists are scanned; long ones use a set so that a hostile request
// cannot cost quadratic time.
func uniq[T comparable](xs []T) []T {
	if len(xs) <= 1 {
		return xs
	}
	out := make([]T, 0, len(xs))
	if len(xs) <= 8 {
		for _, x := range xs {
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
		return out
	}
	seen := make(map[T]struct{}, len(xs))
	for _, x := range xs {
		if _, ok := seen[x]; !ok {
			seen[x] = struct{}{}
			out = append(out, x)
		}
	}
	return out
}
