// Package cognito is a local, Cognito-compatible user pool endpoint: the AWS JSON 1.1 protocol of
// AWSCognitoIdentityProviderService for the sign-up, sign-in (SRP, password, refresh), MFA (TOTP), account and
// admin operations a web or mobile app uses, the pools' JWKS and OpenID configuration, and a local outbox for
// the codes Cognito would e-mail. Pools and clients are configured from the synthesized template; users, keys and
// sessions persist under a state directory.
package cognito

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/authnotes/authnotes/local/jwtauth"
	"github.com/authnotes/authnotes/local/loopback"
	"github.com/authnotes/authnotes/local/privatefs"
	"github.com/authnotes/authnotes/srp"
)

// DefaultAddr is the endpoint's address in the local twin (see ARCHITECTURE.md).
const DefaultAddr = "127.0.0.1:9229"

// Options configure a Server.
type Options struct {
	// Addr to listen on. Default: DefaultAddr. "127.0.0.1:0" picks a free port; the issuer uses the real one.
	Addr string
	// StateDir keeps users, keys and sessions. Empty: in memory only (tests).
	StateDir string
	// Region of the pool IDs. Default: us-east-1.
	Region string
	Pools  []PoolSpec
	// Outbox receives a line per message Cognito would have sent (codes, temporary passwords). Default: discard.
	Outbox io.Writer
	// Log receives operational errors (a failed state write). Default: Outbox.
	Log io.Writer
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// CORSOrigins are the browser origins (scheme://host[:port], matched exactly) allowed to call the endpoint
	// from a web page, e.g. the web app's. Default: none.
	CORSOrigins []string
	// SweepInterval is how often expired sign-in sessions, codes, lockouts and stand-ins are dropped from memory,
	// whether or not anything else happens. Default: 30 s.
	SweepInterval time.Duration
}

// Server is a running endpoint.
type Server struct {
	opts     Options
	listener net.Listener
	http     *http.Server
	baseURL  string
	served   chan error

	mu         sync.Mutex
	st         *diskState
	pools      map[string]*pool   // by pool ID
	clients    map[string]*client // by client ID
	byLogical  map[string]string  // logical ID → physical ID, pools and clients
	srpPending map[string]*srpPending
	challenges map[string]*challenge
	lockouts   map[string]*lockout // by nameKey
	standIns   map[string]*standIn // by nameKey
	// maxPending bounds each of the four maps above (see makeRoom).
	maxPending int
	outbox     []Message

	saver      *saver
	stopSweep  chan struct{}
	sweeperRan chan struct{} // closed when the sweeper has stopped
	lock       io.Closer     // the state directory's
}

// pendingLimit is how many SRP sign-ins, challenges, lockouts and stand-ins the endpoint keeps in memory at most,
// each: far more than a development machine starts in the minutes they live, and a few MB in all.
const pendingLimit = 10_000

type pool struct {
	logicalID string
	cfg       PoolConfig
	state     *poolState
	key       *rsa.PrivateKey
	issuer    string
	verifier  *jwtauth.Verifier
	jwks      []byte // the published documents, built once
	openID    []byte
	// aliases maps "email:" / "phone_number:" / "preferred_username:" + normalised value to a user key.
	aliases map[string]string
	// refresh maps a refresh token's hash to its session's origin_jti.
	refresh map[string]string
}

type client struct {
	logicalID string
	cfg       ClientConfig
	state     *clientState
	pool      *pool
}

// NewServer loads the state, creates what the specs add (IDs and signing keys are generated once and kept), and
// starts serving.
func NewServer(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Outbox == nil {
		opts.Outbox = io.Discard
	}
	if opts.Log == nil {
		opts.Log = opts.Outbox
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = 30 * time.Second
	}
	if len(opts.Pools) == 0 {
		return nil, errors.New("cognito: no user pool to serve")
	}
	if !loopback.Addr(opts.Addr) {
		return nil, fmt.Errorf("cognito: address %q is not a loopback address: the endpoint answers this machine only (use 127.0.0.1:PORT)", opts.Addr)
	}
	var lock io.Closer = noopCloser{}
	if opts.StateDir != "" {
		l, err := lockStateDir(opts.StateDir)
		if err != nil {
			return nil, err
		}
		lock = l
	}
	s, err := start(opts)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

type noopCloser struct{}

func (noopCloser) Close() error { return nil }

// start loads the state and starts serving; NewServer holds the state directory's lock around it.
func start(opts Options) (*Server, error) {
	st, err := loadState(opts.StateDir)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("cognito: listen on %s: %w (is another cognito-twin or twin running?)", opts.Addr, err)
	}
	s := &Server{
		opts: opts, listener: ln, baseURL: "http://" + ln.Addr().String(), served: make(chan error, 1), st: st,
		pools: map[string]*pool{}, clients: map[string]*client{}, byLogical: map[string]string{},
		srpPending: map[string]*srpPending{}, challenges: map[string]*challenge{}, lockouts: map[string]*lockout{},
		standIns: map[string]*standIn{}, maxPending: pendingLimit,
		stopSweep: make(chan struct{}), sweeperRan: make(chan struct{}),
	}
	if err := s.setUp(); err != nil {
		ln.Close()
		return nil, err
	}
	s.saver = newSaver(s)
	if err := s.saver.saveNow(); err != nil {
		ln.Close()
		return nil, err
	}
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go s.sweep()
	go func() { s.served <- s.http.Serve(ln) }()
	return s, nil
}

// sweep drops what expired every SweepInterval, so that memory stays bounded by what is alive even when nothing
// else changes the state (before, only a state write pruned).
func (s *Server) sweep() {
	defer close(s.sweeperRan)
	t := time.NewTicker(s.opts.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopSweep:
			return
		case <-t.C:
			s.mu.Lock()
			if s.pruneLocked() {
				s.saver.changed()
			}
			s.mu.Unlock()
		}
	}
}

func (s *Server) setUp() error {
	now := s.opts.Now()
	for _, spec := range s.opts.Pools {
		if err := s.setUpPool(spec, now); err != nil {
			return err
		}
	}
	return nil
}

// setUpPool serves one pool with its clients: a pool or client the state does not know yet gets its IDs and
// signing key; one served already takes the new settings in place, so sign-ins under way, users, sessions and
// keys carry on. Call with s.mu held, or before serving.
func (s *Server) setUpPool(spec PoolSpec, now time.Time) error {
	if len(spec.Clients) == 0 {
		return fmt.Errorf("cognito: pool %s has no app client: add an AWS::Cognito::UserPoolClient", spec.LogicalID)
	}
	ps := s.st.Pools[spec.LogicalID]
	if ps == nil {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return fmt.Errorf("cognito: signing key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return fmt.Errorf("cognito: signing key: %w", err)
		}
		secret := make([]byte, 32)
		rand.Read(secret)
		ps = &poolState{
			ID: newPoolID(s.opts.Region), Created: now, KeyID: newUUID(), FakeSecret: secret,
			KeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		}
		s.st.Pools[spec.LogicalID] = ps
	}
	if ps.Clients == nil {
		ps.Clients = map[string]*clientState{}
	}
	if ps.Users == nil {
		ps.Users = map[string]*userState{}
	}
	if ps.Sessions == nil {
		ps.Sessions = map[string]*sessionState{}
	}
	p := s.pools[ps.ID]
	if p == nil {
		block, _ := pem.Decode([]byte(ps.KeyPEM))
		if block == nil {
			return fmt.Errorf("cognito: pool %s: signing key in the state file is not PEM", ps.ID)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return fmt.Errorf("cognito: pool %s: signing key: %w", ps.ID, err)
		}
		key, ok := k.(*rsa.PrivateKey)
		if !ok {
			return fmt.Errorf("cognito: pool %s: signing key is %T, want RSA", ps.ID, k)
		}
		key.Precompute()
		p = &pool{logicalID: spec.LogicalID, state: ps, key: key, issuer: s.Issuer(ps.ID), aliases: map[string]string{}, refresh: map[string]string{}}
		if p.jwks, err = jwksDocument(ps.KeyID, &key.PublicKey); err != nil {
			return err
		}
		if p.openID, err = openIDDocument(p.issuer, s.JWKSURL(ps.ID)); err != nil {
			return err
		}
		for key, u := range ps.Users {
			p.index(key, u)
		}
		for origin, se := range ps.Sessions {
			p.refresh[string(se.RefreshHash)] = origin
		}
	}
	p.cfg = spec.Config
	if p.cfg.Name == "" {
		p.cfg.Name = spec.LogicalID
	}
	var audiences []string
	served := map[string]bool{}
	for _, cs := range spec.Clients {
		c := ps.Clients[cs.LogicalID]
		if c == nil {
			c = &clientState{ID: newClientID(), Created: now}
			ps.Clients[cs.LogicalID] = c
		}
		if cs.Config.GenerateSecret && c.Secret == "" {
			c.Secret = randomString(lowerAlnum, 51)
		}
		cl := s.clients[c.ID]
		if cl == nil {
			cl = &client{logicalID: cs.LogicalID, state: c, pool: p}
			s.clients[c.ID] = cl
		}
		cl.cfg = cs.Config
		if cl.cfg.Name == "" {
			cl.cfg.Name = cs.LogicalID
		}
		s.byLogical[cs.LogicalID] = c.ID
		audiences = append(audiences, c.ID)
		served[c.ID] = true
	}
	// A client the template no longer has stops being served; its state stays, as its pool's users do.
	for id, cl := range s.clients {
		if cl.pool == p && !served[id] {
			delete(s.clients, id)
			delete(s.byLogical, cl.logicalID)
		}
	}
	v, err := jwtauth.NewVerifier(jwtauth.StaticKeys{ps.KeyID: &p.key.PublicKey}, jwtauth.Expect{
		Issuer: p.issuer, Audiences: audiences, Now: s.opts.Now,
	})
	if err != nil {
		return err
	}
	p.verifier = v
	s.pools[ps.ID] = p
	s.byLogical[spec.LogicalID] = ps.ID
	return nil
}

// Reconfigure serves new pool and client settings (password policy, token validity, auth flows, new or removed
// clients and pools) without a restart: users, signing keys, refresh tokens and sessions are kept, so tokens issued
// before stay valid. A pool or client the specs no longer name stops being served; its state stays on disk.
func (s *Server) Reconfigure(specs []PoolSpec) error {
	if len(specs) == 0 {
		return errors.New("cognito: no user pool to serve")
	}
	for _, spec := range specs {
		if len(spec.Clients) == 0 {
			return fmt.Errorf("cognito: pool %s has no app client: add an AWS::Cognito::UserPoolClient", spec.LogicalID)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	keep := map[string]bool{}
	for _, spec := range specs {
		if err := s.setUpPool(spec, now); err != nil {
			return err
		}
		keep[spec.LogicalID] = true
	}
	for id, p := range s.pools {
		if keep[p.logicalID] {
			continue
		}
		delete(s.pools, id)
		delete(s.byLogical, p.logicalID)
		for cid, cl := range s.clients {
			if cl.pool == p {
				delete(s.clients, cid)
				delete(s.byLogical, cl.logicalID)
			}
		}
	}
	s.opts.Pools = specs
	s.saver.changed()
	return nil
}

// URL is the endpoint, e.g. http://127.0.0.1:9229.
func (s *Server) URL() string { return s.baseURL }

// PoolID returns the physical ID of a user pool by logical ID ("" if unknown).
func (s *Server) PoolID(logicalID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byLogical[logicalID]
}

// ClientID returns the physical ID of an app client by logical ID ("" if unknown).
func (s *Server) ClientID(logicalID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byLogical[logicalID]
}

// Issuer is the `iss` of a pool's tokens: the endpoint's URL and the pool ID.
func (s *Server) Issuer(poolID string) string { return s.baseURL + "/" + poolID }

// JWKSURL is where a pool's signing keys are published.
func (s *Server) JWKSURL(poolID string) string { return s.Issuer(poolID) + "/.well-known/jwks.json" }

// Close stops serving and writes the state.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		// Connections a client opened but never used hold Shutdown for seconds; nothing is lost by cutting them.
		s.http.Close()
	}
	<-s.served
	close(s.stopSweep)
	<-s.sweeperRan
	err := s.saver.close()
	s.lock.Close()
	return err
}

// saver writes the state file in the background. A request that must be durable before it answers (a sign-up,
// a password change, a revocation) waits for a write that includes its change and triggers it at once; a
// sign-in's new session only marks the state dirty and is written within asyncDelay, together with everything
// else that changed meanwhile, so a burst of sign-ins costs a few writes, not one each.
type saver struct {
	s       *Server
	kick    chan struct{} // something changed
	urgent  chan struct{} // someone waits for the disk
	stop    chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	cond    *sync.Cond
	want    uint64 // generation of the latest change
	tried   uint64 // generation of the latest write attempt
	written uint64 // generation of the latest completed write
	err     error  // of the latest attempt
}

// asyncDelay bounds how long a change nobody waits for stays in memory only.
const asyncDelay = 200 * time.Millisecond

func newSaver(s *Server) *saver {
	sv := &saver{s: s, kick: make(chan struct{}, 1), urgent: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	sv.cond = sync.NewCond(&sv.mu)
	go sv.loop()
	return sv
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// changed records a change; call with s.mu held. It returns the generation to wait for.
func (sv *saver) changed() uint64 {
	sv.mu.Lock()
	sv.want++
	g := sv.want
	sv.mu.Unlock()
	notify(sv.kick)
	return g
}

// wait blocks until generation g is on disk.
func (sv *saver) wait(g uint64) error {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.written < g {
		notify(sv.urgent)
	}
	for sv.written < g && sv.tried < g {
		sv.cond.Wait()
	}
	if sv.written >= g {
		return nil
	}
	return sv.err
}

func (sv *saver) loop() {
	defer close(sv.done)
	for {
		select {
		case <-sv.stop:
			return
		case <-sv.urgent:
		case <-sv.kick:
			t := time.NewTimer(asyncDelay)
			select {
			case <-sv.stop:
				t.Stop()
				return
			case <-sv.urgent:
				t.Stop()
			case <-t.C:
			}
		}
		if err := sv.saveNow(); err != nil {
			fmt.Fprintf(sv.s.opts.Log, "cognito: write state: %v\n", err)
		}
	}
}

func (sv *saver) saveNow() error {
	s := sv.s
	s.mu.Lock()
	sv.mu.Lock()
	g := sv.want
	sv.mu.Unlock()
	s.pruneLocked()
	data, err := json.Marshal(s.st)
	s.mu.Unlock()
	if err == nil && s.opts.StateDir != "" {
		// The folder again: the state must reach the disk even if someone removed it meanwhile.
		if err = privatefs.MkdirAll(s.opts.StateDir); err == nil {
			err = privatefs.WriteFile(filepath.Join(s.opts.StateDir, stateFile), data)
		}
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	sv.tried = max(sv.tried, g)
	if err != nil {
		sv.err = fmt.Errorf("write cognito state: %w", err)
	} else {
		sv.written, sv.err = max(sv.written, g), nil
	}
	sv.cond.Broadcast()
	return sv.err
}

// close stops the background writer and writes the final state.
func (sv *saver) close() error {
	close(sv.stop)
	<-sv.done
	return sv.saveNow()
}

// pruneLocked drops expired sessions, codes, sign-ins in progress, lockouts and stand-ins, so that neither the
// state file nor memory grows with what is over. It reports whether it changed what the state file holds.
func (s *Server) pruneLocked() (changed bool) {
	now := s.opts.Now()
	for _, p := range s.pools {
		for id, se := range p.state.Sessions {
			// Kept a day past expiry: an access token may outlive a short refresh token, and a missing session
			// would refuse it as revoked.
			if now.After(se.Expires.Add(24 * time.Hour)) {
				delete(p.state.Sessions, id)
				delete(p.refresh, string(se.RefreshHash))
				changed = true
			}
		}
		for _, u := range p.state.Users {
			if u.prune(now) {
				changed = true
			}
		}
	}
	for k, p := range s.srpPending {
		if now.After(p.expires) {
			delete(s.srpPending, k)
		}
	}
	for k, c := range s.challenges {
		if now.After(c.expires) {
			delete(s.challenges, k)
		}
	}
	for k, l := range s.lockouts {
		if l.over(now) {
			delete(s.lockouts, k)
		}
	}
	for k, si := range s.standIns {
		if si.prune(now); now.After(si.until) {
			delete(s.standIns, k)
		}
	}
	return changed
}

// makeRoom keeps one of the endpoint's in-memory maps below s.maxPending entries before an entry is added, by
// dropping the entries that matter least first (least sorts them): however many sign-ins an attacker starts, the
// memory they take is bounded, and the newest sign-in, a real user's, still gets its place.
func makeRoom[V any](s *Server, m map[string]V, least func(a, b V) bool) {
	for len(m) >= s.maxPending {
		var victim string
		var worst V
		first := true
		for k, v := range m {
			if first || least(v, worst) {
				victim, worst, first = k, v, false
			}
		}
		delete(m, victim)
	}
}

// durable records a change and waits until it is on disk; call without s.mu held.
func (s *Server) durable(g uint64) error {
	if err := s.saver.wait(g); err != nil {
		return internalError(err)
	}
	return nil
}

// poolName is the pool's name for SRP.
func (p *pool) poolName() string { return srp.PoolName(p.state.ID) }

// sortedUsers lists a pool's users by creation time, then name, for ListUsers.
func (p *pool) sortedUsers() []*userState {
	users := make([]*userState, 0, len(p.state.Users))
	for _, u := range p.state.Users {
		users = append(users, u)
	}
	sort.Slice(users, func(i, j int) bool {
		if !users[i].Created.Equal(users[j].Created) {
			return users[i].Created.Before(users[j].Created)
		}
		return users[i].Username < users[j].Username
	})
	return users
}

// userKey normalises a username for lookups.
func (p *pool) userKey(name string) string {
	if p.cfg.CaseSensitive {
		return name
	}
	return strings.ToLower(name)
}

func aliasKey(attr, value string) string { return attr + ":" + strings.ToLower(value) }

// index records a user's sign-in attributes; unindex forgets them.
func (p *pool) index(key string, u *userState) {
	for _, a := range []string{"email", "phone_number", "preferred_username"} {
		if v := u.Attributes[a]; v != "" {
			p.aliases[aliasKey(a, v)] = key
		}
	}
}

func (p *pool) unindex(u *userState) {
	for _, a := range []string{"email", "phone_number", "preferred_username"} {
		if v := u.Attributes[a]; v != "" && p.aliases[aliasKey(a, v)] == p.userKey(u.Username) {
			delete(p.aliases, aliasKey(a, v))
		}
	}
}

// lookup finds the user a sign-in name refers to: the username itself, or (for pools signing in by e-mail or
// phone, or with aliases) that attribute. Aliases only count once verified, as in Cognito.
func (p *pool) lookup(name string) (string, *userState) {
	if name == "" {
		return "", nil
	}
	if u := p.state.Users[p.userKey(name)]; u != nil {
		return p.userKey(name), u
	}
	for _, a := range p.cfg.UsernameAttributes {
		if key, ok := p.aliases[aliasKey(a, name)]; ok {
			return key, p.state.Users[key]
		}
	}
	for _, a := range p.cfg.AliasAttributes {
		key, ok := p.aliases[aliasKey(a, name)]
		if !ok {
			continue
		}
		u := p.state.Users[key]
		if a == "preferred_username" || u.Attributes[a+"_verified"] == "true" {
			return key, u
		}
	}
	return "", nil
}

// preventEnumeration reports whether the client hides whether a user exists.
func (c *client) preventEnumeration() bool { return c.cfg.PreventUserExistenceErrors == "ENABLED" }
