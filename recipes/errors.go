package recipes

import "errors"

// Errors of this package. Errors of the coordination service (ErrNoNode,
// ErrSessionExpired, ...) are passed on wrapped; match them with errors.Is.
var (
	// ErrHeld: the value already holds, or is acquiring, a lock, lease,
	// candidacy or barrier place. Release it first, or use another value.
	ErrHeld = errors.New("recipes: already held or being acquired")
	// ErrNotHeld: Unlock, Resign, Leave or Proclaim on a value that holds
	// nothing.
	ErrNotHeld = errors.New("recipes: not held")
	// ErrNoLeader: the election has no candidate.
	ErrNoLeader = errors.New("recipes: no leader")
)
