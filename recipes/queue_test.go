package recipes

import (
	"slices"
	"testing"
)

func names(q []contender) []string {
	out := make([]string, len(q))
	for i, c := range q {
		out[i] = c.name
	}
	return out
}

func TestQueueOf(t *testing.T) {
	for _, tc := range []struct {
		children, want []string
	}{
		{nil, []string{}},
		{[]string{"lock-b-0000000002", "lock-a-0000000010", "lock-c-0000000001"}, []string{"lock-c-0000000001", "lock-b-0000000002", "lock-a-0000000010"}},
		// Prefixes do not matter, only the sequence suffix.
		{[]string{"write-x-0000000005", "read-y-0000000004"}, []string{"read-y-0000000004", "write-x-0000000005"}},
		// Children without a suffix are not contenders.
		{[]string{"ready", "lock-a-0000000003", "short"}, []string{"lock-a-0000000003"}},
	} {
		if got := names(queueOf(tc.children)); !slices.Equal(got, tc.want) {
			t.Errorf("queueOf(%v) = %v, want %v", tc.children, got, tc.want)
		}
	}
}

func TestBlockers(t *testing.T) {
	q := queueOf([]string{"read-a-0000000001", "write-b-0000000002", "read-c-0000000003", "read-d-0000000004", "write-e-0000000005"})
	for _, tc := range []struct {
		name  string
		block blocker
		i     int
		want  string
	}{
		{"first reader", lastWriterAhead, 0, ""},
		{"reader behind a writer", lastWriterAhead, 2, "write-b-0000000002"},
		{"reader behind a writer and a reader", lastWriterAhead, 3, "write-b-0000000002"},
		{"first writer waits for a reader", predecessor, 1, "read-a-0000000001"},
		{"writer behind readers", predecessor, 4, "read-d-0000000004"},
		{"head of the queue", predecessor, 0, ""},
	} {
		if got := tc.block(q, tc.i); got != tc.want {
			t.Errorf("%s: waits for %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestParticipants(t *testing.T) {
	got := participants([]string{"p-b", "ready", "p-a", "other"})
	if want := []string{"p-a", "p-b"}; !slices.Equal(got, want) {
		t.Fatalf("participants = %v, want %v", got, want)
	}
}
