package warren

import (
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/warrenhq/warren/consensus/fsm/znode"
)

// Check succeeds if the znode's version is version (ZooKeeper's standalone
// check operation); it changes nothing.
func (c *Coord) Check(ctx context.Context, path string, version int32) error {
	r, err := c.write(ctx, "check", c.n.NamespaceShard(path), znode.EncodeCheck(znode.Check{Path: path, Version: version, Auth: c.auth}))
	if err != nil {
		return err
	}
	return zkErr(znode.ZKError(r), path)
}

// ReadOp is one read of a MultiRead: GetDataOp or GetChildrenOp.
type ReadOp struct {
	path     string
	children bool
}

// GetDataOp reads a znode's data in a MultiRead.
func GetDataOp(path string) ReadOp { return ReadOp{path: path} }

// GetChildrenOp lists a znode's children in a MultiRead.
func GetChildrenOp(path string) ReadOp { return ReadOp{path: path, children: true} }

// ReadResult is the outcome of one ReadOp: Err is nil or a *ZKError.
type ReadResult struct {
	Data     []byte
	Children []string
	Stat     Stat
	Err      error
}

// MultiRead runs several reads in order and reports each one's result, as
// ZooKeeper's multiRead does: a failing read does not stop the others.
func (c *Coord) MultiRead(ctx context.Context, ops ...ReadOp) ([]ReadResult, error) {
	out := make([]ReadResult, len(ops))
	for i, op := range ops {
		var err error
		if op.children {
			out[i].Children, out[i].Stat, err = c.Children(ctx, op.path)
		} else {
			out[i].Data, out[i].Stat, err = c.Get(ctx, op.path)
		}
		if _, isZK := err.(*ZKError); err != nil && !isZK {
			return nil, err
		}
		out[i].Err = err
	}
	return out, nil
}

// Digest returns ZooKeeper's digest identity of user and password:
// "user:" + base64(sha1("user:password")).
func Digest(user, password string) string {
	sum := sha1.Sum([]byte(user + ":" + password))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// AddAuth returns a client with one more identity, as ZooKeeper's addAuth
// gives a session. Scheme "digest" takes "user:password"; when it matches
// the node's SuperDigest the client becomes super. Other schemes are added
// as given (scheme, auth).
func (c *Coord) AddAuth(scheme, auth string) (*Coord, error) {
	if scheme != "digest" {
		return c.WithAuth(false, AuthID{Scheme: scheme, ID: auth}), nil
	}
	user, pass, ok := strings.Cut(auth, ":")
	if !ok || user == "" {
		return nil, fmt.Errorf("%w: digest auth must be user:password", ErrAuthFailed)
	}
	id := Digest(user, pass)
	super := c.n.cfg.SuperDigest != "" && subtle.ConstantTimeCompare([]byte(id), []byte(c.n.cfg.SuperDigest)) == 1
	return c.WithAuth(super, AuthID{Scheme: "digest", ID: id}), nil
}
