package meta

import (
	"errors"

	"github.com/warrenhq/warren/consensus/fsm"
)

// ErrCorrupt is returned (wrapped) by the decoders and by Query when their
// input is not a valid encoding.
var ErrCorrupt = errors.New("meta: corrupt encoding")

func appendString(dst []byte, s string) []byte { return fsm.AppendString(dst, s) }

func appendBytes(dst, b []byte) []byte { return fsm.AppendBytes(dst, b) }

// decoder reads this package's encodings; its errors wrap ErrCorrupt.
type decoder struct{ fsm.FieldDecoder }

func newDecoder(b []byte) decoder {
	return decoder{fsm.FieldDecoder{B: b, Corrupt: ErrCorrupt}}
}
