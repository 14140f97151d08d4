package jute

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ValidatePath checks path against ZooKeeper's rules for znode paths and
// returns an error wrapping ErrBadPath that names the first rule broken. A
// path must:
//
//   - start with '/', and not end with '/' unless it is "/";
//   - have no empty segment ("//"), and no segment "." or "..";
//   - be valid UTF-8 and contain none of U+0000-U+001F, U+007F-U+009F,
//     U+D800-U+F8FF, U+FFF0-U+FFFF, nor any character beyond U+FFFF.
//
// ZooKeeper checks the path's UTF-16 code units, so characters beyond U+FFFF,
// which need surrogates, are refused, and so are bytes that are not UTF-8,
// which Java decodes to U+FFFD.
//
// For a sequential create (sequential true) the rules apply to the path with
// the sequence number appended, so the last segment may be empty, "." or
// "..": "/app/lock-" and "/app/" are both valid prefixes.
func ValidatePath(path string, sequential bool) error {
	switch {
	case path == "":
		return badPath(path, "empty path")
	case path[0] != '/':
		return badPath(path, "path must start with '/'")
	case path == "/":
		return nil
	case !sequential && path[len(path)-1] == '/':
		return badPath(path, "path must not end with '/'")
	}
	rest := path[1:]
	for {
		seg, tail, more := strings.Cut(rest, "/")
		last := !more
		if !(last && sequential) {
			switch seg {
			case "":
				return badPath(path, "empty segment")
			case ".", "..":
				return badPath(path, "relative segment "+seg)
			}
		}
		if err := checkChars(path, seg); err != nil {
			return err
		}
		if last {
			return nil
		}
		rest = tail
	}
}

// checkChars rejects a segment holding a character ZooKeeper refuses.
func checkChars(path, seg string) error {
	for i, r := range seg {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(seg[i:]); size <= 1 {
				return badPath(path, "invalid UTF-8")
			}
			return badPath(path, "invalid character U+FFFD")
		case r == 0:
			return badPath(path, "null character")
		case r <= 0x1f, r >= 0x7f && r <= 0x9f, r >= 0xd800 && r <= 0xf8ff, r >= 0xfff0:
			return badPath(path, fmt.Sprintf("invalid character %U", r))
		}
	}
	return nil
}

func badPath(path, reason string) error {
	return fmt.Errorf("%w %q: %s", ErrBadPath, path, reason)
}
