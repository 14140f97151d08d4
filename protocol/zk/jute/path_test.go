package jute

import (
	"errors"
	"testing"
	"unicode/utf16"
)

func TestValidatePath(t *testing.T) {
	for _, tc := range []struct {
		path       string
		sequential bool
		ok         bool
	}{
		{"/", false, true},
		{"/a", false, true},
		{"/a/b/c", false, true},
		{"/zookeeper/quota", false, true},
		{"/a.b", false, true},
		{"/...", false, true},
		{"/.a", false, true},
		{"/a/..b", false, true},
		{"/a/b..", false, true},
		{"/é/日本", false, true},
		{"/\u00a0\ud7ff\uf900\uffef", false, true},
		{"/a b", false, true},

		{"", false, false},
		{"a", false, false},
		{"a/b", false, false},
		{"/a/", false, false},
		{"//", false, false},
		{"/a//b", false, false},
		{"/.", false, false},
		{"/..", false, false},
		{"/a/./b", false, false},
		{"/a/../b", false, false},
		{"/a/.", false, false},
		{"/a/..", false, false},
		{"/a\x00b", false, false},
		{"/a\x01", false, false},
		{"/a\x1f", false, false},
		{"/a\tb", false, false},
		{"/\x7f", false, false},
		{"/\u0085", false, false},
		{"/\u009f", false, false},
		{"/\ue000", false, false},
		{"/\uf8ff", false, false},
		{"/\ufff0", false, false},
		{"/\ufffd", false, false},
		{"/\uffff", false, false},
		{"/😀", false, false},
		{"/\xff", false, false},
		{"/a\xc3", false, false},

		{"/", true, true},
		{"/lock-", true, true},
		{"/app/", true, true},
		{"/app/.", true, true},
		{"/app/..", true, true},
		{"/app//", true, false},
		{"/app/./", true, false},
		{"/./x", true, false},
		{"", true, false},
		{"lock-", true, false},
		{"/a\x00", true, false},
	} {
		err := ValidatePath(tc.path, tc.sequential)
		if tc.ok != (err == nil) {
			t.Errorf("ValidatePath(%q, %v) = %v, want ok=%v", tc.path, tc.sequential, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrBadPath) {
			t.Errorf("ValidatePath(%q) = %v, not ErrBadPath", tc.path, err)
		}
		if ref := refValidatePath(tc.path, tc.sequential); ref != tc.ok {
			t.Errorf("reference model disagrees with the table on %q: %v", tc.path, ref)
		}
	}
}

// refValidatePath is a reference model of ZooKeeper's path check, written
// the way the server sees a path: as Java's UTF-16 code units (bytes that are
// not UTF-8 become U+FFFD, characters beyond U+FFFF become surrogate pairs),
// with the sequence digit already appended for sequential creates.
func refValidatePath(path string, sequential bool) bool {
	if sequential {
		path += "1"
	}
	u := utf16.Encode([]rune(path))
	if len(u) == 0 || u[0] != '/' {
		return false
	}
	if len(u) == 1 {
		return true
	}
	start := 1
	for i := 1; i <= len(u); i++ {
		if i < len(u) && u[i] != '/' {
			c := u[i]
			if c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0 {
				return false
			}
			continue
		}
		seg := string(utf16.Decode(u[start:i]))
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		start = i + 1
	}
	return true
}

func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"/", "/a/b", "/a/", "/.", "/a/../b", "/\x00", "/\ud7ff", "/😀", "/\xff", "//"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, path string, sequential bool) {
		err := ValidatePath(path, sequential)
		if want := refValidatePath(path, sequential); want != (err == nil) {
			t.Fatalf("ValidatePath(%q, %v) = %v, reference model says ok=%v", path, sequential, err, want)
		}
		if err != nil && !errors.Is(err, ErrBadPath) {
			t.Fatalf("error %v does not wrap ErrBadPath", err)
		}
	})
}
