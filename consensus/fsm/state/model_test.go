package state

import (
	"encoding/binary"
	"math"
	"math/big"
	"math/rand"
	"slices"
	"testing"

	"github.com/warrenhq/warren/consensus/fsm"
)

// model is the reference: a plain map from (grain, key) to value.
type model map[[2]string]Value

// outcome is what the model expects from one operation.
type outcome struct {
	code  fsm.Code
	value *Value   // for Put, Add, Delete
	keys  []string // for DeleteGrain
}

func (m model) get(g, k string) Value { return m[[2]string{g, k}] }

func (m model) write(g, k string, zxid uint64, data []byte) *Value {
	cur := m.get(g, k)
	v := Value{Data: data, Version: cur.Version + 1, Czxid: cur.Czxid, Mzxid: zxid, Exists: true}
	if !cur.Exists {
		v.Czxid = zxid
	}
	m[[2]string{g, k}] = v
	return &v
}

func (m model) keys(g string) []string {
	var out []string
	for gk := range m {
		if gk[0] == g {
			out = append(out, gk[1])
		}
	}
	slices.Sort(out)
	return out
}

func (m model) apply(op any, zxid uint64) outcome {
	switch o := op.(type) {
	case Put:
		cur := m.get(o.Grain, o.Key)
		switch {
		case o.ExpectVersion < -1:
			return outcome{code: fsm.CodeBadCommand}
		case o.ExpectVersion >= 0 && o.ExpectVersion != cur.Version:
			return outcome{code: CodeBadVersion, value: &cur}
		}
		return outcome{value: m.write(o.Grain, o.Key, zxid, o.Value)}
	case Add:
		cur := m.get(o.Grain, o.Key)
		if cur.Exists && len(cur.Data) != 8 {
			return outcome{code: CodeNotCounter, value: &cur}
		}
		sum := big.NewInt(0)
		if cur.Exists {
			sum.SetInt64(int64(binary.BigEndian.Uint64(cur.Data)))
		}
		sum.Add(sum, big.NewInt(o.Delta))
		if !sum.IsInt64() {
			return outcome{code: CodeOverflow, value: &cur}
		}
		return outcome{value: m.write(o.Grain, o.Key, zxid, counter(sum.Int64()))}
	case Delete:
		cur := m.get(o.Grain, o.Key)
		switch {
		case o.ExpectVersion < -1:
			return outcome{code: fsm.CodeBadCommand}
		case !cur.Exists && o.ExpectVersion == -1:
			return outcome{value: &cur}
		case !cur.Exists:
			return outcome{code: CodeNoKey, value: &cur}
		case o.ExpectVersion >= 0 && o.ExpectVersion != cur.Version:
			return outcome{code: CodeBadVersion, value: &cur}
		}
		delete(m, [2]string{o.Grain, o.Key})
		return outcome{value: &cur}
	case DeleteGrain:
		keys := m.keys(o.Grain)
		for _, k := range keys {
			delete(m, [2]string{o.Grain, k})
		}
		return outcome{keys: keys}
	}
	panic("unknown op")
}

// Small universes make collisions (same key, prefix-related names) common.
var (
	modelGrains = []string{"a", "ab", "", "b\x00"}
	modelKeys   = []string{"", "c", "bc", "x"}
	modelDeltas = []int64{1, -1, 0, 1000, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1}
)

func randomOp(rng *rand.Rand, m model) (any, []byte) {
	g := modelGrains[rng.Intn(len(modelGrains))]
	k := modelKeys[rng.Intn(len(modelKeys))]
	expect := []int64{-1, -1, 0, 1, 2, m.get(g, k).Version, -2}[rng.Intn(7)]
	switch n := rng.Intn(20); {
	case n < 8:
		v := make([]byte, rng.Intn(12))
		rng.Read(v)
		if rng.Intn(3) == 0 {
			v = counter(rng.Int63n(2000) - 1000)
		}
		p := Put{Grain: g, Key: k, Value: v, ExpectVersion: expect}
		return p, EncodePut(p)
	case n < 14:
		a := Add{Grain: g, Key: k, Delta: modelDeltas[rng.Intn(len(modelDeltas))]}
		return a, EncodeAdd(a)
	case n < 19:
		d := Delete{Grain: g, Key: k, ExpectVersion: expect}
		return d, EncodeDelete(d)
	default:
		d := DeleteGrain{Grain: g}
		return d, EncodeDeleteGrain(d)
	}
}

// TestMachineMatchesModel applies seeded random operation sequences to the
// Machine over MemKV and to the reference model, and compares every result
// and, after every step, every Get and List answer.
func TestMachineMatchesModel(t *testing.T) {
	seen := make(map[fsm.Code]int)
	for seed := int64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewSource(seed))
		mach, ref := New(), model{}
		var kv fsm.MemKV
		zxid := uint64(0)
		for step := 0; step < 300; step++ {
			zxid += 1 + uint64(rng.Intn(3))
			op, enc := randomOp(rng, ref)
			want := ref.apply(op, zxid)
			r, _ := mach.Apply(&kv, zxid, fsm.Command{Kind: Kind, Op: enc})
			seen[r.Code]++
			if err := compareOutcome(r, want); err != "" {
				t.Fatalf("seed %d step %d %+v: %s", seed, step, op, err)
			}
			if err := compareState(mach, &kv, ref); err != "" {
				t.Fatalf("seed %d step %d after %+v: %s", seed, step, op, err)
			}
		}
	}
	for _, c := range []fsm.Code{fsm.OK, fsm.CodeBadCommand, CodeBadVersion, CodeNotCounter, CodeOverflow, CodeNoKey} {
		if seen[c] == 0 {
			t.Errorf("the random sequences never produced %s", codeName(c))
		}
	}
	t.Logf("results by code: %v", seen)
}

func compareOutcome(r fsm.Result, want outcome) string {
	if r.Code != want.code {
		return "code " + codeName(r.Code) + ", model says " + codeName(want.code)
	}
	switch {
	case want.value != nil:
		got, err := DecodeValue(r.Data)
		if err != nil || !sameValue(got, *want.value) {
			return "result value differs from the model"
		}
	case want.code == fsm.OK:
		got, err := DecodeKeys(r.Data)
		if err != nil || !slices.Equal(got, want.keys) && len(got)+len(want.keys) != 0 {
			return "removed keys differ from the model"
		}
	}
	return ""
}

func compareState(mach *Machine, kv *fsm.MemKV, ref model) string {
	for _, g := range modelGrains {
		b, err := mach.Query(kv, EncodeList(List{Grain: g}))
		keys, derr := DecodeKeys(b)
		if err != nil || derr != nil || !slices.Equal(keys, ref.keys(g)) && len(keys)+len(ref.keys(g)) != 0 {
			return "List(" + g + ") differs from the model"
		}
		for _, k := range modelKeys {
			b, err := mach.Query(kv, EncodeGet(Get{Grain: g, Key: k}))
			v, derr := DecodeValue(b)
			if err != nil || derr != nil || !sameValue(v, ref.get(g, k)) {
				return "Get(" + g + ", " + k + ") differs from the model"
			}
		}
	}
	return ""
}

func codeName(c fsm.Code) string {
	return map[fsm.Code]string{
		fsm.OK: "OK", fsm.CodeBadCommand: "BadCommand", CodeBadVersion: "BadVersion",
		CodeNotCounter: "NotCounter", CodeOverflow: "Overflow", CodeNoKey: "NoKey", CodeTooLarge: "TooLarge",
	}[c]
}
