package observability

import (
	"fmt"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// rateLimited records at most rate of the traces its inner sampler would
// record per second, with a burst of one second's worth: a token bucket.
// Under light load it changes nothing; under sustained load it bounds what
// tracing costs a node, whatever the request rate.
type rateLimited struct {
	inner sdktrace.Sampler
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newRateLimited(inner sdktrace.Sampler, perSecond float64, now func() time.Time) *rateLimited {
	burst := max(perSecond, 1)
	return &rateLimited{inner: inner, rate: perSecond, burst: burst, now: now, tokens: burst, last: now()}
}

func (s *rateLimited) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	r := s.inner.ShouldSample(p)
	if r.Decision != sdktrace.RecordAndSample || s.take() {
		return r
	}
	return sdktrace.SamplingResult{
		Decision:   sdktrace.Drop,
		Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState(),
	}
}

// take spends a token if one is left.
func (s *rateLimited) take() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if el := now.Sub(s.last).Seconds(); el > 0 {
		s.tokens = min(s.burst, s.tokens+el*s.rate)
		s.last = now
	}
	if s.tokens < 1 {
		return false
	}
	s.tokens--
	return true
}

func (s *rateLimited) Description() string {
	return fmt.Sprintf("RateLimited{%g/s,%s}", s.rate, s.inner.Description())
}
