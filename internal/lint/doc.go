// Package lint holds repository-wide checks that run as ordinary tests with
// `go test ./...`. It has no non-test code: the checks live in _test.go
// files, so nothing can import them.
//
// imports_test.go enforces the layering of DESIGN.md: every non-test Go file
// of the module may import only the Warren packages its layer allows (pure
// state machines and placement import nothing of ours but consensus/fsm;
// each layer imports only the layers below it; nothing imports cmd/ or
// examples/). A violation fails the test with the file and the forbidden
// import.
//
// This package must never be imported, and imports only the standard
// library.
package lint
