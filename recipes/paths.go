package recipes

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/warrenhq/warren"
)

// join returns the path of child name under dir.
func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// base returns the last element of path.
func base(path string) string { return path[strings.LastIndexByte(path, '/')+1:] }

// parent returns the parent of path ("/" for "/x").
func parent(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/"
	}
	return path[:i]
}

// validName reports whether s can be one path element.
func validName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\x00")
}

// createAll creates a znode at path with data and mode, and its missing
// ancestors as persistent znodes. A znode already at path is left alone.
func createAll(ctx context.Context, c *warren.Coord, path string, data []byte, mode warren.CreateMode) error {
	if path == "/" {
		return nil
	}
	for attempt := 0; ; attempt++ {
		_, _, err := c.Create(ctx, path, data, warren.CreateOptions{Mode: mode})
		switch {
		case err == nil, errors.Is(err, warren.ErrNodeExists):
			return nil
		case !errors.Is(err, warren.ErrNoNode) || attempt == 3:
			return fmt.Errorf("recipes: create %s: %w", path, err)
		}
		if err := createAll(ctx, c, parent(path), nil, warren.ModePersistent); err != nil {
			return err
		}
	}
}
