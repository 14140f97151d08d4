package zk

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/protocol/zk/jute"
)

// auth adds an identity to the connection's session (ZooKeeper's addAuth).
// Schemes:
//
//   - digest "user:password" adds the identity digest
//     "user:base64(sha1(user:password))", which ACL entries of scheme
//     digest name; if it equals Config.SuperDigest the session also becomes
//     the super user, which every ACL allows.
//   - ip adds nothing: every connection already acts as its remote address.
//   - any other scheme fails with ZAUTHFAILED and closes the connection, as
//     ZooKeeper does for a scheme it has no provider for.
//
// The reply carries zxid 0, as ZooKeeper's does (see jute.AuthPacket).
func (c *conn) auth(r *jute.AuthPacket) result {
	switch r.Scheme {
	case "digest":
		id := digestID(r.Auth)
		super := c.s.cfg.SuperDigest != "" && subtle.ConstantTimeCompare([]byte(id), []byte(c.s.cfg.SuperDigest)) == 1
		c.cl = c.cl.WithAuth(super, warren.AuthID{Scheme: "digest", ID: id})
		user, _, _ := strings.Cut(id, ":")
		c.idents = append(c.idents, jute.ClientInfo{AuthScheme: "digest", User: user})
		if super {
			c.idents = append(c.idents, jute.ClientInfo{AuthScheme: "super", User: "super"})
		}
		return result{zeroZxid: true}
	case "ip":
		return result{zeroZxid: true}
	}
	c.s.log.Info("auth with an unknown scheme; closing", "remote", c.remote, "scheme", r.Scheme)
	return result{code: jute.CodeAuthFailed, zeroZxid: true, closeAfter: true}
}

// digestID returns the digest identity of "user:password": the user, a
// colon, and the base64 SHA-1 of the whole credential, as ZooKeeper's
// DigestAuthenticationProvider computes it.
func digestID(cred []byte) string {
	user, _, _ := strings.Cut(string(cred), ":")
	sum := sha1.Sum(cred)
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// sasl refuses SASL: Warren's ZooKeeper front end authenticates with
// digest only. Clients only send SASL when configured for it (a JAAS
// Client section), and then learn at once that it failed.
func (c *conn) sasl() result {
	c.s.log.Info("SASL authentication is not supported", "remote", c.remote)
	return result{code: jute.CodeAuthFailed}
}
