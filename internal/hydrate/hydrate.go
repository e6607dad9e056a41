// Package hydrate keeps the service_at_locations that search pages show, in
// the list shape, so a page needs no database round trip for the ones
// recently shown. The cache is kept in step with the search index: the
// index's change feed invalidates a service's entries as it applies a
// change to them (see indexsync.Syncer.Subscribe), so what a page shows is
// never older than the index that found it. Entries also expire after a
// TTL, a bound for changes made outside the API and the importer.
package hydrate

import (
	"context"
	"fmt"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/linkage-org/linkage/internal/hsds"
)

// Loader reads service_at_locations by id from the database, in the list
// shape; ids it does not find are left out.
type Loader func(ctx context.Context, ids []string) ([]hsds.ServiceAtLocation, error)

// Cache is a bounded LRU of service_at_locations by id. Values handed out
// are shared: callers must not change them.
type Cache struct {
	ttl time.Duration
	now func() time.Time

	// mu orders writes (Add, Remove, Purge and so bySvc, which the
	// eviction callback changes from inside them) against invalidation;
	// reads go to the LRU, which has its own lock.
	mu    sync.Mutex
	items *lru.Cache[string, entry]
	bySvc map[string]map[string]struct{} // service id -> cached ids
	epoch uint64                         // bumped by every invalidation
}

type entry struct {
	sal hsds.ServiceAtLocation
	at  time.Time
}

// New makes a cache of at most size entries that live at most ttl.
func New(size int, ttl time.Duration) (*Cache, error) {
	c := &Cache{ttl: ttl, now: time.Now, bySvc: map[string]map[string]struct{}{}}
	items, err := lru.NewWithEvict(size, func(id string, e entry) { c.forget(e.sal.ServiceID, id) })
	if err != nil {
		return nil, fmt.Errorf("hydrate: %w", err)
	}
	c.items = items
	return c, nil
}

// forget drops id from its service's set; called with mu held.
func (c *Cache) forget(svc, id string) {
	if ids := c.bySvc[svc]; ids != nil {
		delete(ids, id)
		if len(ids) == 0 {
			delete(c.bySvc, svc)
		}
	}
}

// Load returns the service_at_locations with ids, in the order of ids,
// reading the ones the cache lacks with load and keeping them, and how many
// it had to read. Ids found nowhere are left out.
func (c *Cache) Load(ctx context.Context, ids []string, load Loader) ([]hsds.ServiceAtLocation, int, error) {
	c.mu.Lock()
	epoch := c.epoch
	c.mu.Unlock()
	found := make(map[string]hsds.ServiceAtLocation, len(ids))
	var miss []string
	now := c.now()
	for _, id := range ids {
		if e, ok := c.items.Get(id); ok && now.Sub(e.at) < c.ttl {
			found[id] = e.sal
		} else {
			miss = append(miss, id)
		}
	}
	if len(miss) > 0 {
		loaded, err := load(ctx, miss)
		if err != nil {
			return nil, 0, err
		}
		for _, s := range loaded {
			found[s.ID] = s
		}
		c.put(epoch, now, loaded)
	}
	out := make([]hsds.ServiceAtLocation, 0, len(ids))
	for _, id := range ids {
		if s, ok := found[id]; ok {
			out = append(out, s)
		}
	}
	return out, len(miss), nil
}

// put keeps what was read, unless an invalidation came since the read
// began: what was read may then predate the change and must not outlive it.
func (c *Cache) put(epoch uint64, at time.Time, sals []hsds.ServiceAtLocation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	for _, s := range sals {
		if old, ok := c.items.Peek(s.ID); ok && old.sal.ServiceID != s.ServiceID {
			c.forget(old.sal.ServiceID, s.ID)
		}
		c.items.Add(s.ID, entry{sal: s, at: at})
		ids := c.bySvc[s.ServiceID]
		if ids == nil {
			ids = map[string]struct{}{}
			c.bySvc[s.ServiceID] = ids
		}
		ids[s.ID] = struct{}{}
	}
}

// Invalidate drops the entries of the services with ids.
func (c *Cache) Invalidate(serviceIDs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for _, svc := range serviceIDs {
		for id := range c.bySvc[svc] {
			c.items.Remove(id) // the eviction callback updates bySvc
		}
	}
}

// Clear drops every entry (the index was rebuilt or replaced).
func (c *Cache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.items.Purge()
	clear(c.bySvc)
}

// Len is the number of entries.
func (c *Cache) Len() int { return c.items.Len() }
