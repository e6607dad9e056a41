package httpapi

import (
	"context"
	"crypto/subtle"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/store"
)

const principalKey = "linkage.principal"

// principal is the caller of c (Anonymous before authenticate ran).
func principal(c echo.Context) auth.Principal {
	p, _ := c.Get(principalKey).(auth.Principal)
	return p
}

// touchEvery bounds how often a key's last_used_at is written.
const touchEvery = time.Minute

// keyToucher remembers when each key's last use was last written, so a busy
// key costs one UPDATE a minute, not one per request.
type keyToucher struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (k *keyToucher) due(id string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.last == nil {
		k.last = map[string]time.Time{}
	}
	if t, ok := k.last[id]; ok && now.Sub(t) < touchEvery {
		return false
	}
	if len(k.last) > 100000 {
		k.last = map[string]time.Time{}
	}
	k.last[id] = now
	return true
}

// authenticate reads "Authorization: Bearer KEY". No header is the
// anonymous public; a malformed, unknown or revoked key is a 401, never a
// silent downgrade to anonymous.
func (h *handler) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if p, ok := c.Request().Context().Value(inProcessKey{}).(auth.Principal); ok {
			c.Set(principalKey, p)
			return next(c)
		}
		hdr := c.Request().Header.Get(echo.HeaderAuthorization)
		if hdr == "" {
			c.Set(principalKey, auth.Principal{})
			return next(c)
		}
		p, err := h.resolveKey(c.Request().Context(), hdr)
		if err != nil {
			if apperr.KindOf(err) == apperr.Unauthenticated {
				// A bad key counts against the client address's anonymous
				// limit, so guessing keys is throttled like anything else.
				if lerr := h.limitAnonymous(c); lerr != nil {
					return lerr
				}
			}
			return err
		}
		if p, err = h.actingPerson(c, p); err != nil {
			return err
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

// inProcessKey holds the principal of a request made in process.
type inProcessKey struct{}

// AsPrincipal is ctx for a request the console makes to the API in process
// on behalf of its signed-in person p: the API treats it as p, through the
// same routes, validation, rules and audit as a request with a key. Only
// code in this binary can set it; no header or cookie reaches it.
func AsPrincipal(ctx context.Context, p auth.Principal) context.Context {
	return context.WithValue(ctx, inProcessKey{}, p)
}

// ActingPersonHeader names the staff person behind a request made with a
// key that acts for no one person (an agency's own system, the console).
const ActingPersonHeader = "Linkage-Acting-Person"

// actingPerson applies the Linkage-Acting-Person header to p: it must name
// an active person of the key's agency, and a key bound to a person may
// name only that person. A claim that fails is a failed authentication
// (401), on every route, like a bad key.
func (h *handler) actingPerson(c echo.Context, p auth.Principal) (auth.Principal, error) {
	vals := c.Request().Header.Values(ActingPersonHeader)
	id := strings.ToLower(strings.TrimSpace(strings.Join(vals, ",")))
	switch {
	case id == "":
		return p, nil
	case len(vals) > 1:
		return p, apperr.WithFields(apperr.Invalid, "Name one acting person.", apperr.FieldErrors{{Parameter: ActingPersonHeader, Message: "is sent more than once"}})
	case !isUUID(id):
		return p, apperr.WithFields(apperr.Invalid, "The acting person is not valid: name a person by id.", apperr.FieldErrors{{Parameter: ActingPersonHeader, Message: "is not a UUID"}})
	case p.PersonID != "" && p.PersonID != id:
		return p, apperr.E(apperr.Unauthenticated, "This key acts for one person; it cannot name another in %s.", ActingPersonHeader)
	case p.PersonID != "":
		return p, nil
	case p.AgencyID == "" || p.Role == auth.Portal:
		return p, apperr.E(apperr.Unauthenticated, "Only caseworker and agency keys act for a person of their agency (%s).", ActingPersonHeader)
	}
	person, err := h.store.ActingPerson(c.Request().Context(), p.AgencyID, id)
	if err != nil {
		return p, err
	}
	p.PersonID, p.PersonName = person.ID, person.Name
	return p, nil
}

func (h *handler) resolveKey(ctx context.Context, hdr string) (auth.Principal, error) {
	scheme, key, _ := strings.Cut(hdr, " ")
	key = strings.TrimSpace(key)
	if !strings.EqualFold(scheme, "Bearer") || !auth.WellFormed(key) {
		return auth.Principal{}, apperr.E(apperr.Unauthenticated, "The Authorization header must be \"Bearer <key>\" with a Linkage API key (lnk_...).")
	}
	hash := auth.Hash(key)
	k, err := h.store.KeyByHash(ctx, hash)
	if err != nil {
		if apperr.KindOf(err) == apperr.Unauthenticated {
			return auth.Principal{}, apperr.E(apperr.Unauthenticated, "This API key is not valid. Ask your Linkage administrator for a new one.")
		}
		return auth.Principal{}, err
	}
	// The lookup was by hash; compare again in constant time so a future
	// change of lookup cannot turn into a timing oracle.
	if subtle.ConstantTimeCompare(k.Hash, hash) != 1 {
		return auth.Principal{}, apperr.E(apperr.Unauthenticated, "This API key is not valid.")
	}
	if k.RevokedAt != nil {
		return auth.Principal{}, apperr.E(apperr.Unauthenticated, "This API key was revoked on %s. Ask your Linkage administrator for a new one.", k.RevokedAt.UTC().Format(time.DateOnly))
	}
	p := auth.Principal{KeyID: k.ID, Role: auth.Role(k.Role)}
	if k.AgencyID != nil {
		p.AgencyID = *k.AgencyID
	}
	if k.PersonID != nil {
		if !k.PersonActive {
			return auth.Principal{}, apperr.E(apperr.Unauthenticated, "This API key belongs to a person who is no longer active in the agency.")
		}
		p.PersonID, p.PersonName = *k.PersonID, k.PersonName
	}
	// Only agency keys edit listings, so only they need the organizations
	// (GET /me reads them for the others).
	if p.Role == auth.Agency {
		orgs, err := h.store.AgencyOrganizations(ctx, p.AgencyID)
		if err != nil {
			return auth.Principal{}, err
		}
		p.Organizations = orgs
	}
	if h.touched.due(k.ID, h.now()) {
		if err := h.store.TouchKey(ctx, k.ID); err != nil {
			h.log.WarnContext(ctx, "record key use", "key_id", k.ID, "err", err)
		}
	}
	return p, nil
}

// allow turns an access decision into the error a client sees.
func allow(d auth.Decision) error {
	switch d {
	case auth.Allow:
		return nil
	case auth.Unauthenticated:
		return apperr.E(apperr.Unauthenticated, "This route needs an API key: send Authorization: Bearer <key>.")
	default:
		return apperr.E(apperr.Forbidden, "Your API key's role or agency may not do this.")
	}
}

// RateLimits are requests per second, each with a burst of twice as many;
// 0 turns a limit off.
type RateLimits struct {
	Anonymous float64 // per client address, without a key
	Key       float64 // per key (admin, agency, caseworker)
	Portal    float64 // per portal key
}

// rateLimiter keeps one token bucket per caller.
type rateLimiter struct {
	limits              RateLimits
	anon, keys, portals *middleware.RateLimiterMemoryStore
}

func newRateLimiter(l RateLimits) *rateLimiter {
	store := func(r float64) *middleware.RateLimiterMemoryStore {
		if r <= 0 {
			return nil
		}
		return middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(r), Burst: int(math.Ceil(2 * r)), ExpiresIn: 5 * time.Minute})
	}
	return &rateLimiter{limits: l, anon: store(l.Anonymous), keys: store(l.Key), portals: store(l.Portal)}
}

// clientAddr is how a request's client address (its anonymous rate-limit
// bucket, its audit address) is found: the connection's peer, or what
// X-Forwarded-For says when that peer is a proxy named in trusted. Any
// other peer's header is its own claim, so it is ignored (Echo's default
// trusts every loopback and private peer, and without an extractor RealIP
// believes the header from anyone).
func clientAddr(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// rateLimit answers 429 with Retry-After once a caller has used its burst.
// It runs after authenticate: keys are limited per key, the public per
// client address (behind a proxy of LINKAGE_TRUSTED_PROXIES, the address it
// forwards; see clientAddr).
func (h *handler) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Path() {
		// The console's pages are not limited per address (a county's
		// staff may share one); what they ask of the API is, per person,
		// and sign-in has its own throttle.
		case "/healthz", "/readyz", "/metrics", consolePath, consolePath + "/*":
			return next(c)
		}
		p := principal(c)
		st, id, r := h.limiter.anon, "ip:"+c.RealIP(), h.limiter.limits.Anonymous
		caller := "key:" + p.KeyID
		if p.KeyID == "" {
			caller = "person:" + p.PersonID
		}
		switch {
		case p.Role == auth.Portal:
			st, id, r = h.limiter.portals, caller, h.limiter.limits.Portal
		case p.Authenticated():
			st, id, r = h.limiter.keys, caller, h.limiter.limits.Key
		}
		if err := limit(c, st, id, r); err != nil {
			return err
		}
		return next(c)
	}
}

// limitAnonymous takes one request from the client address's anonymous
// allowance.
func (h *handler) limitAnonymous(c echo.Context) error {
	return limit(c, h.limiter.anon, "ip:"+c.RealIP(), h.limiter.limits.Anonymous)
}

// limit takes one request of id from st (nil: no limit), or answers 429.
func limit(c echo.Context, st *middleware.RateLimiterMemoryStore, id string, r float64) error {
	if st == nil {
		return nil
	}
	ok, err := st.Allow(id)
	if err != nil {
		return err
	}
	if !ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Max(1, math.Ceil(1/r)))))
		return apperr.E(apperr.RateLimited, "Too many requests: the limit is %g a second. Wait and try again.", r)
	}
	return nil
}

// actorOf is the caller of c as the store's workflows take it.
func actorOf(c echo.Context) store.Actor {
	return store.Actor{Principal: principal(c), ClientAddr: c.RealIP(), RequestID: requestID(c)}
}

// writePrivate sends v as JSON that no cache may keep.
func writePrivate(c echo.Context, status int, v any) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(status, v)
}
