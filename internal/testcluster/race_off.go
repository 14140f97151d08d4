//go:build !race

package testcluster

// raceEnabled reports whether this binary was built with -race; BuildBinary
// builds `warren` the same way.
const raceEnabled = false
