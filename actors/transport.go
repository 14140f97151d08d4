package actors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/warrenhq/warren/actors/actorspb"
)

// Node-to-node grain calls travel over a small gRPC service of Warren's own
// rather than protoactor's remote package: remote.Start replaces grpc's
// process-global logger (a data race as soon as two nodes share a process,
// as they do in tests and embedded use) and panics when its port is taken.
// Messages are the protobuf types in actorspb; the trace context rides in
// the request.

const callMethod = "/warren.actors.Grains/Call"

// grainService is the server side of the service.
type grainService interface {
	call(ctx context.Context, req *actorspb.GrainRequest) (*actorspb.GrainResponse, error)
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: "warren.actors.Grains",
	HandlerType: (*grainService)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Call",
		Handler: func(srv interface{}, ctx context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
			in := new(actorspb.GrainRequest)
			if err := dec(in); err != nil {
				return nil, err
			}
			return srv.(grainService).call(ctx, in)
		},
	}},
	Metadata: "actors/actorspb/grain.proto",
}

// transport owns the gRPC server and the client connections to other nodes.
type transport struct {
	server *grpc.Server
	lis    net.Listener
	done   chan struct{}

	mu struct {
		sync.Mutex
		conns map[string]*grpc.ClientConn
	}
}

func listenTransport(addr string, svc grainService) (*transport, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("actors: listen on %s: %w", addr, err)
	}
	t := &transport{server: grpc.NewServer(), lis: lis, done: make(chan struct{})}
	t.mu.conns = make(map[string]*grpc.ClientConn)
	t.server.RegisterService(&serviceDesc, svc)
	go func() {
		defer close(t.done)
		_ = t.server.Serve(lis)
	}()
	return t, nil
}

func (t *transport) conn(addr string) (*grpc.ClientConn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mu.conns == nil {
		return nil, ErrClosed
	}
	if c, ok := t.mu.conns[addr]; ok {
		return c, nil
	}
	c, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	t.mu.conns[addr] = c
	return c, nil
}

// invoke calls the grain service on addr. A node that cannot be reached
// fails fast with ErrUnavailable (the request was not delivered); a missing
// reply before the deadline is ErrTimeout (it may have been).
func (t *transport) invoke(ctx context.Context, addr string, req *actorspb.GrainRequest) (*actorspb.GrainResponse, error) {
	c, err := t.conn(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, addr, err)
	}
	resp := new(actorspb.GrainResponse)
	err = c.Invoke(ctx, callMethod, req, resp)
	if err == nil {
		return resp, nil
	}
	switch status.Code(err) {
	case codes.Unavailable:
		// Unavailable is also what a connection lost after the request
		// went out looks like. Only a failure to connect proves the
		// request was not delivered; anything else is an unknown outcome.
		if notDelivered(err) {
			return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, addr, err)
		}
		return nil, fmt.Errorf("%w: connection to %s lost with the request in flight: %w", ErrTimeout, addr, err)
	case codes.DeadlineExceeded, codes.Canceled:
		return nil, fmt.Errorf("%w: no reply from %s", ErrTimeout, addr)
	}
	return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, addr, err)
}

func (t *transport) close() {
	stopped := make(chan struct{})
	go func() {
		t.server.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		t.server.Stop()
	}
	<-t.done
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.mu.conns {
		c.Close()
	}
	t.mu.conns = nil
}

// notDelivered reports whether a gRPC Unavailable error happened before the
// request could be sent: the channel could not connect.
func notDelivered(err error) bool {
	msg := status.Convert(err).Message()
	for _, m := range []string{"connect: connection refused", "Error while dialing", "no such host", "produced zero addresses"} {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// errNoHost is returned by the server when the runtime is shutting down.
var errNoHost = errors.New("actors: grain host stopped")
