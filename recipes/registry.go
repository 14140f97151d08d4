package recipes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/warrenhq/warren"
)

// DefaultServicesRoot is where a ServiceRegistry keeps its services unless
// told otherwise.
const DefaultServicesRoot = "/services"

// Instance is one registered instance of a service.
type Instance struct {
	// ID names the instance within its service.
	ID string
	// Metadata is what the instance registered with (an address, say).
	Metadata []byte
}

// ServiceRegistry is service discovery: each live instance of a service is
// an ephemeral znode <root>/<service>/<instance id> holding its metadata,
// so an instance is listed exactly while the session that registered it
// lives. A service's directory is a container, deleted once its last
// instance has gone.
type ServiceRegistry struct {
	s    *warren.Session
	root string
}

// NewServiceRegistry returns a registry kept under root, a znode path;
// "" means DefaultServicesRoot. Instances it registers live as long as s.
func NewServiceRegistry(s *warren.Session, root string) *ServiceRegistry {
	if root == "" {
		root = DefaultServicesRoot
	}
	return &ServiceRegistry{s: s, root: root}
}

func (r *ServiceRegistry) dir(service string) (string, error) {
	if !validName(service) {
		return "", fmt.Errorf("recipes: service name %q: %w", service, warren.ErrBadArguments)
	}
	return join(r.root, service), nil
}

// Register registers instance id of service with metadata, for as long as
// the registry's session lives. Registering an id this session already
// registered replaces its metadata; an id registered by another live
// session fails with ErrNodeExists.
func (r *ServiceRegistry) Register(ctx context.Context, service, id string, metadata []byte) error {
	dir, err := r.dir(service)
	if err != nil {
		return err
	}
	if !validName(id) {
		return fmt.Errorf("recipes: instance id %q: %w", id, warren.ErrBadArguments)
	}
	c, path := r.s.Coord(), join(dir, id)
	for attempt := 0; ; attempt++ {
		_, _, err := c.Create(ctx, path, metadata, warren.CreateOptions{Mode: warren.ModeEphemeral})
		switch {
		case err == nil:
			return nil
		case attempt == 3:
		case errors.Is(err, warren.ErrNoNode):
			if err := createAll(ctx, c, dir, nil, warren.ModeContainer); err != nil {
				return err
			}
			continue
		case errors.Is(err, warren.ErrNodeExists):
			st, ok, err := c.Exists(ctx, path)
			switch {
			case err != nil:
				return fmt.Errorf("recipes: register %s: %w", path, err)
			case !ok:
				continue // gone meanwhile: create again
			case st.EphemeralOwner != r.s.ID():
				return fmt.Errorf("recipes: %s is registered by another session: %w", path, warren.ErrNodeExists)
			}
			if _, err := c.Set(ctx, path, metadata, warren.AnyVersion); err != nil {
				return fmt.Errorf("recipes: register %s: %w", path, err)
			}
			return nil
		}
		return fmt.Errorf("recipes: register %s: %w", path, err)
	}
}

// Deregister removes instance id of service, whichever session registered
// it. Removing an absent instance is not an error.
func (r *ServiceRegistry) Deregister(ctx context.Context, service, id string) error {
	dir, err := r.dir(service)
	if err != nil {
		return err
	}
	if err := r.s.Coord().Delete(ctx, join(dir, id), warren.AnyVersion); err != nil && !errors.Is(err, warren.ErrNoNode) {
		return fmt.Errorf("recipes: deregister %s/%s: %w", service, id, err)
	}
	return nil
}

// Instances returns the live instances of service, sorted by id.
func (r *ServiceRegistry) Instances(ctx context.Context, service string) ([]Instance, error) {
	dir, err := r.dir(service)
	if err != nil {
		return nil, err
	}
	if err := r.s.Coord().Sync(ctx, dir); err != nil {
		return nil, err
	}
	return r.list(ctx, dir)
}

// list reads the instances under dir as this client sees them.
func (r *ServiceRegistry) list(ctx context.Context, dir string) ([]Instance, error) {
	c := r.s.Coord()
	ids, _, err := c.Children(ctx, dir)
	if errors.Is(err, warren.ErrNoNode) {
		return []Instance{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recipes: list %s: %w", dir, err)
	}
	out := make([]Instance, 0, len(ids))
	for _, id := range ids {
		data, _, err := c.Get(ctx, join(dir, id))
		if errors.Is(err, warren.ErrNoNode) {
			continue // left meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("recipes: list %s: %w", dir, err)
		}
		out = append(out, Instance{ID: id, Metadata: data})
	}
	return out, nil
}

// Watch returns a channel that receives the live instances of service
// now, and again after every change: an instance joining, leaving (its
// session closed or expired) or re-registering with new metadata. Changes
// that come quickly may be reported together, as one new set. The channel
// is closed when ctx ends, the session expires or the node closes.
func (r *ServiceRegistry) Watch(ctx context.Context, service string) <-chan []Instance {
	out := make(chan []Instance)
	go func() {
		defer close(out)
		dir, err := r.dir(service)
		if err != nil {
			return
		}
		w, err := watchSynced(ctx, r.s, dir, true)
		if err != nil {
			return
		}
		defer w.Close()
		var last []Instance
		for sent := false; ; {
			set, err := r.list(ctx, dir)
			if err != nil {
				if pauseIfTransient(ctx, r.s, err) != nil {
					return
				}
				continue
			}
			if !sent || !sameInstances(set, last) {
				if !send(ctx, r.s, out, set) {
					return
				}
				last, sent = set, true
			}
			if !nextEvents(ctx, r.s, w) {
				return
			}
		}
	}()
	return out
}

func sameInstances(a, b []Instance) bool {
	return slices.EqualFunc(a, b, func(x, y Instance) bool {
		return x.ID == y.ID && bytes.Equal(x.Metadata, y.Metadata)
	})
}
