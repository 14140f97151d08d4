package actors

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/warrenhq/warren/actors/actorspb"
)

// hostName is the well-known actor name of every node's grain host.
const hostName = "warren-grains"

// grainHost is the per-node actor that activates grains. It is the only
// owner of the activation table, so one grain is never activated twice on a
// node, and it activates only grains of shards this node leads.
type grainHost struct {
	rt     *Runtime
	active map[string]*activation // by grain key
	byPID  map[string]string      // actor id -> grain key
}

type activation struct {
	pid   *actor.PID
	shard uint64
	kind  string
}

// leaderLost tells the host that this node stopped leading a shard.
type leaderLost struct{ shard uint64 }

// countRequest asks for the number of activations per kind.
type countRequest struct{}

func grainKey(kind, id string) string { return kind + "\x00" + id }

func (h *grainHost) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		h.active = make(map[string]*activation)
		h.byPID = make(map[string]string)
	case *actorspb.GrainRequest:
		h.deliver(ctx, m)
	case *leaderLost:
		for key, a := range h.active {
			if a.shard == m.shard {
				ctx.Stop(a.pid)
				delete(h.active, key)
			}
		}
	case *actor.Terminated:
		if key, ok := h.byPID[m.Who.Id]; ok {
			delete(h.byPID, m.Who.Id)
			if a, ok := h.active[key]; ok && a.pid.Id == m.Who.Id {
				delete(h.active, key)
			}
		}
	case *countRequest:
		counts := make(map[string]int)
		for _, a := range h.active {
			counts[a.kind]++
		}
		ctx.Respond(counts)
	}
}

func (h *grainHost) deliver(ctx actor.Context, m *actorspb.GrainRequest) {
	respond := func(r *actorspb.GrainResponse) {
		if ctx.Sender() != nil {
			ctx.Respond(r)
		}
	}
	if m.Kind == "" || m.Id == "" {
		respond(&actorspb.GrainResponse{Code: CodeBadRequest, Message: "grain kind and id must not be empty"})
		return
	}
	shard := h.rt.cfg.Route.ShardOf(m.Kind, m.Id)
	if leader, _, ok := h.rt.cfg.Host.Leader(shard); !ok || leader != h.rt.cfg.NodeID {
		respond(&actorspb.GrainResponse{Code: CodeNotLeader, LeaderHint: leader,
			Message: "node does not lead the grain's shard"})
		return
	}
	if h.rt.factory(m.Kind) == nil {
		respond(&actorspb.GrainResponse{Code: CodeUnknownKind, Message: "unknown grain kind " + m.Kind})
		return
	}
	key := grainKey(m.Kind, m.Id)
	a, ok := h.active[key]
	if !ok {
		ga := &grainActor{rt: h.rt, kind: m.Kind, id: m.Id, shard: shard}
		pid := ctx.Spawn(actor.PropsFromProducer(func() actor.Actor { return ga }))
		a = &activation{pid: pid, shard: shard, kind: m.Kind}
		h.active[key] = a
		h.byPID[pid.Id] = key
	}
	if m.Oneway {
		respond(&actorspb.GrainResponse{})
		ctx.Send(a.pid, m)
		return
	}
	ctx.Forward(a.pid)
}
