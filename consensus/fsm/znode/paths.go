package znode

import (
	"strconv"
	"strings"
)

// validPath reports whether p is a znode path by ZooKeeper's rules
// (PathUtils.validatePath): absolute, no trailing "/" except for "/" itself,
// no empty, "." or ".." segment, and no character ZooKeeper refuses. The
// caller checks the length.
func validPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	if p == "/" {
		return true
	}
	start := 1
	for i := 1; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		if seg := p[start:i]; seg == "" || seg == "." || seg == ".." {
			return false
		}
		start = i + 1
	}
	for _, r := range p {
		if badRune(r) {
			return false
		}
	}
	return true
}

// badRune reports the characters ZooKeeper refuses in paths. ZooKeeper checks
// UTF-16 code units: U+0000-U+001F, U+007F-U+009F, U+D800-U+F8FF (which
// covers surrogates, hence every character above U+FFFF) and U+FFF0-U+FFFF.
// Invalid UTF-8 decodes to U+FFFD here, as it does in ZooKeeper's decoder,
// and is refused too.
func badRune(r rune) bool {
	return r <= 0x1f || (r >= 0x7f && r <= 0x9f) || (r >= 0xd800 && r <= 0xf8ff) || r >= 0xfff0
}

// validCreatePath checks a Create path. Like ZooKeeper it checks a
// sequential one with a digit appended, as the suffix will be: so "/a/"
// names a child of "/a" made of the suffix alone, and "/a/." is a prefix.
func validCreatePath(p string, sequential bool, maxLen int) bool {
	if len(p) > maxLen {
		return false
	}
	if sequential {
		return validPath(p + "1")
	}
	return validPath(p)
}

// parentOf returns the parent path of a valid path other than "/", and of a
// sequential create path ending in "/".
func parentOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// seqSuffix formats a sequence number as ZooKeeper's "%010d" does: ten
// digits, zero-padded after the sign.
func seqSuffix(n int32) string {
	digits := strconv.FormatInt(int64(n), 10)
	width := 10
	sign := ""
	if n < 0 {
		sign, digits, width = "-", digits[1:], 9
	}
	if len(digits) >= width {
		return sign + digits
	}
	return sign + strings.Repeat("0", width-len(digits)) + digits
}
