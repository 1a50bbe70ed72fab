package keychain

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

const (
	ssName       = "org.freedesktop.secrets"
	ssPath       = dbus.ObjectPath("/org/freedesktop/secrets")
	ssService    = "org.freedesktop.Secret.Service"
	loginColl    = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	noneAlias    = dbus.ObjectPath("/")
	dbusErrPfx   = "org.freedesktop.DBus.Error."
	secretErrPfx = "org.freedesktop.Secret.Error."
)

// secretService is the Linux OS backend. Set and Delete are go-keyring's: an
// item with the attributes service and username in the "login" collection
// (or the "default" alias's collection if there is no "login"). Get reads
// the same item with the fewest D-Bus round trips, where go-keyring's Get
// makes seven (Properties.Get Collections, Unlock, SearchItems, OpenSession,
// Unlock, GetSecret, Close) on top of connecting:
//
//  1. connect to the session bus and authenticate (once per process);
//  2. Hello and Service.SearchItems, sent together without waiting for each
//     other (the bus handles one connection's messages in order, so
//     SearchItems comes from a named peer); only SearchItems on later calls;
//  3. Service.OpenSession("plain"), once per connection, only after
//     SearchItems has succeeded; the session is kept;
//  4. Service.GetSecrets of the item found.
//
// OpenSession waits for SearchItems because gnome-keyring (42 to at least
// 50, its issue 190) registers a new client in a callback that can run after
// the client's first calls, and aborts, losing every unlocked keyring, on an
// OpenSession it handles before that: sent together with SearchItems it did
// so about once in tens of thousands of new connections in our tests
// (SearchItems itself fails harmlessly and is retried; see transient). A
// successful SearchItems shows the client is registered, and it stays so
// until it disconnects.
//
// An item that is only in a locked collection is read with go-keyring's Get,
// which unlocks it (and may prompt). Items outside "login" cost one more
// round trip, once, to learn which collection go-keyring uses.
//
// The Secret Service cannot be asked how large an item is, and sends its
// secret in one D-Bus message; so the connection is made through
// boundedConn, which refuses a message over maxMessage bytes as soon as
// its first 16 bytes have come, before godbus reads and decodes the rest
// (a byte at a time: 20 MB took 20 s and 750 MB). The Get then fails with
// an *itemTooLarge and the next one connects again. (go-keyring's Get, used
// for an item in a locked collection, reads any size.)
type secretService struct {
	fallback func(service, user string) (string, error)
	set      func(service, user, password string) error
	del      func(service, user string) error

	opts []dbus.ConnOption // for tests: e.g. an interceptor counting calls

	mu      sync.Mutex
	conn    *dbus.Conn      // private connection, made by the first Get
	session dbus.ObjectPath // "plain" session on conn; "" until opened
	coll    dbus.ObjectPath // collection go-keyring uses; "" until asked
}

// secret is the Secret Service's (oayays) secret struct.
type secret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// errFallback tells getContext to read the item with go-keyring.
var errFallback = errors.New("keychain: item needs go-keyring's Get")

func (s *secretService) Get(service, user string) (string, error) {
	return s.getContext(context.Background(), service, user)
}

// Set and Delete are go-keyring's. Without a context of their own they
// cannot bound the diagnosis of a failure; the Store's goroutine bounds
// the caller's wait.
func (s *secretService) Set(service, user, password string) error {
	return s.goKeyring(context.Background(), func() error { return s.set(service, user, password) })
}

func (s *secretService) Delete(service, user string) error {
	return s.goKeyring(context.Background(), func() error { return s.del(service, user) })
}

// goKeyring runs a go-keyring call on the session bus that sessionBus
// finds, and names the cause of its failure. go-keyring connects through
// godbus's dbus.SessionBus, which looks only at DBUS_SESSION_BUS_ADDRESS
// and /run/user/<uid>/bus and otherwise runs dbus-launch (a new, empty bus
// for every process); so the address found is put into
// DBUS_SESSION_BUS_ADDRESS first, as godbus itself does with the addresses
// it discovers.
func (s *secretService) goKeyring(ctx context.Context, call func() error) error {
	addr, err := sessionBus()
	if err != nil {
		return err
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a == "" || a == "autolaunch:" {
		os.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	}
	registerShared(ctx)
	err = call()
	if err == nil || errors.Is(err, keyring.ErrNotFound) || errors.Is(err, keyring.ErrSetDataTooBig) {
		return err
	}
	return s.explain(ctx, err)
}

// explain asks the Secret Service why a go-keyring call failed (go-keyring
// says only, e.g., "failed to unlock correct collection"): when the probe
// finds a cause, the error wraps it.
func (s *secretService) explain(ctx context.Context, err error) error {
	ctx, cancel := context.WithTimeout(ctx, explainTimeout)
	defer cancel()
	if perr := s.probe(ctx); perr != nil {
		for _, cause := range []error{ErrNoSessionBus, ErrNoSecretService, ErrLocked, ErrNoCollection} {
			if errors.Is(perr, cause) {
				return fmt.Errorf("%w (go-keyring: %w)", perr, err)
			}
		}
	}
	return fmt.Errorf("go-keyring: %w", err)
}

// explainTimeout bounds the diagnosis of a failed go-keyring call: a few
// round trips to a Secret Service that has just answered.
const explainTimeout = 5 * time.Second

func (s *secretService) getContext(ctx context.Context, service, user string) (string, error) {
	if _, err := sessionBus(); err != nil {
		return "", err
	}
	for attempt := 1; ; attempt++ {
		v, fresh, err := s.read(ctx, service, user)
		switch {
		case errors.Is(err, errFallback):
			err := s.goKeyring(ctx, func() (err error) {
				v, err = s.fallback(service, user)
				return err
			})
			return v, err
		case err == nil, errors.Is(err, keyring.ErrNotFound), ctx.Err() != nil, errors.As(err, new(*itemTooLarge)):
			return v, err
		case attempt == 2 || fresh && !transient(err):
			return "", err
		}
		// Try once more: the connection or session kept from an earlier
		// call has gone stale (the bus or the Secret Service restarted),
		// or the Secret Service was not ready for a new client.
	}
}

// transient reports whether a Secret Service error is worth one retry on
// the same connection. gnome-keyring registers a new client in an idle
// callback that is meant to run before the client's first method call but
// can lose the race (about once in 4,000 new connections in our tests, more
// under load and from a daemon that has just started): SearchItems then
// fails as "not implemented". NoSession: the session kept from an earlier
// call is gone (the Secret Service restarted).
func transient(err error) bool {
	var de dbus.Error
	return errors.As(err, &de) && (de.Name == dbusErrPfx+"UnknownMethod" || de.Name == secretErrPfx+"NoSession")
}

// read is one attempt of the fast path. fresh reports whether it made the
// connection it used, so an error is not about a stale one.
func (s *secretService) read(ctx context.Context, service, user string) (v string, fresh bool, err error) {
	conn, session, hello, err := s.connect(ctx)
	if err != nil {
		return "", true, err
	}
	fresh = hello != nil
	defer func() {
		switch {
		case err == nil, ctx.Err() != nil, errors.Is(err, errFallback), errors.Is(err, keyring.ErrNotFound):
		case errors.As(err, new(*itemTooLarge)):
			// A reply over the bound has closed the connection (see
			// boundedConn); one over maxValue only has not.
		case transient(err):
			s.forgetSession(conn)
		default:
			s.drop(conn)
		}
	}()

	svc := conn.Object(ssName, ssPath)
	attrs := map[string]string{"service": service, "username": user}
	search := svc.GoWithContext(ctx, ssService+".SearchItems", 0, make(chan *dbus.Call, 1), attrs)

	if hello != nil {
		if err := (<-hello.Done).Err; err != nil {
			return "", fresh, fmt.Errorf("D-Bus Hello: %w", err)
		}
	}
	var unlocked, locked []dbus.ObjectPath
	if err := (<-search.Done).Store(&unlocked, &locked); err != nil {
		return "", fresh, callErr("SearchItems", err)
	}
	item, err := s.pick(ctx, conn, unlocked, locked)
	if err != nil {
		return "", fresh, err
	}
	if session == "" {
		// Only now: see the type's documentation.
		var out dbus.Variant
		err := svc.CallWithContext(ctx, ssService+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session)
		if err != nil {
			return "", fresh, callErr("OpenSession", err)
		}
		s.keepSession(conn, session)
	}
	var secrets map[dbus.ObjectPath]secret
	err = svc.CallWithContext(ctx, ssService+".GetSecrets", 0, []dbus.ObjectPath{item}, session).Store(&secrets)
	if err != nil {
		return "", fresh, callErr("GetSecrets", err)
	}
	sec, ok := secrets[item]
	if !ok {
		return "", fresh, errFallback // locked or deleted since the search
	}
	if len(sec.Value) > maxValue {
		return "", fresh, &itemTooLarge{size: int64(len(sec.Value)), max: maxValue}
	}
	return string(sec.Value), fresh, nil
}

// pick chooses the item go-keyring would read among those SearchItems
// found, or says to fall back to go-keyring (errFallback) or that there is
// none (keyring.ErrNotFound).
func (s *secretService) pick(ctx context.Context, conn *dbus.Conn, unlocked, locked []dbus.ObjectPath) (dbus.ObjectPath, error) {
	if it, ok := inCollection(unlocked, loginColl); ok {
		return it, nil
	}
	if len(unlocked)+len(locked) == 0 {
		return "", keyring.ErrNotFound
	}
	if _, ok := inCollection(locked, loginColl); ok {
		return "", errFallback
	}
	coll, err := s.collection(ctx, conn)
	switch {
	case err != nil:
		return "", err
	case coll == loginColl:
		return "", keyring.ErrNotFound // go-keyring looks only there
	case coll == "" || coll == noneAlias:
		return "", errFallback // let go-keyring say what is wrong
	}
	if it, ok := inCollection(unlocked, coll); ok {
		return it, nil
	}
	if _, ok := inCollection(locked, coll); ok {
		return "", errFallback
	}
	return "", keyring.ErrNotFound
}

// collection returns the collection go-keyring uses: "login" if the service
// has one, else the "default" alias's.
func (s *secretService) collection(ctx context.Context, conn *dbus.Conn) (dbus.ObjectPath, error) {
	s.mu.Lock()
	coll := s.coll
	s.mu.Unlock()
	if coll != "" {
		return coll, nil
	}
	svc := conn.Object(ssName, ssPath)
	list := svc.GoWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, make(chan *dbus.Call, 1), ssService, "Collections")
	alias := svc.GoWithContext(ctx, ssService+".ReadAlias", 0, make(chan *dbus.Call, 1), "default")
	var all dbus.Variant
	if err := (<-list.Done).Store(&all); err != nil {
		return "", callErr("Get Collections", err)
	}
	if err := (<-alias.Done).Store(&coll); err != nil {
		return "", callErr("ReadAlias", err)
	}
	if paths, _ := all.Value().([]dbus.ObjectPath); slices.Contains(paths, loginColl) {
		coll = loginColl
	}
	s.mu.Lock()
	if s.conn == conn {
		s.coll = coll
	}
	s.mu.Unlock()
	return coll, nil
}

// connect returns the kept connection and session, or a new connection and
// its Hello call, sent but not waited for (session is then "").
func (s *secretService) connect(ctx context.Context) (conn *dbus.Conn, session dbus.ObjectPath, hello *dbus.Call, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil && s.conn.Connected() {
		return s.conn, s.session, nil, nil
	}
	s.conn, s.session, s.coll = nil, "", ""

	addr, err := sessionBus()
	if err != nil {
		return nil, "", nil, err
	}
	conn, err = s.dial(addr)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%w: %w", ErrNoSessionBus, err) // err names the address
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	err = conn.Auth(nil)
	if !stop() {
		err = ctx.Err()
	}
	if err != nil {
		conn.Close()
		return nil, "", nil, fmt.Errorf("authenticate to the D-Bus session bus: %w", err)
	}
	hello = conn.BusObject().GoWithContext(ctx, "org.freedesktop.DBus.Hello", 0, make(chan *dbus.Call, 1))
	s.conn = conn
	return conn, "", hello, nil
}

func (s *secretService) keepSession(conn *dbus.Conn, session dbus.ObjectPath) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == conn && s.session == "" {
		s.session = session
	}
}

// forgetSession makes the next read open a new session on conn.
func (s *secretService) forgetSession(conn *dbus.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == conn {
		s.session = ""
	}
}

// drop closes conn after an error and forgets it and its session.
func (s *secretService) drop(conn *dbus.Conn) {
	s.mu.Lock()
	if s.conn == conn {
		s.conn, s.session, s.coll = nil, "", ""
	}
	s.mu.Unlock()
	conn.Close()
}

func inCollection(items []dbus.ObjectPath, coll dbus.ObjectPath) (dbus.ObjectPath, bool) {
	for _, it := range items {
		if strings.HasPrefix(string(it), string(coll)+"/") {
			return it, true
		}
	}
	return "", false
}

// callErr adds what was called to a D-Bus error, and wraps
// ErrNoSecretService when there is no Secret Service on the bus and D-Bus
// could not start one.
func callErr(method string, err error) error {
	var de dbus.Error
	if errors.As(err, &de) && (de.Name == dbusErrPfx+"ServiceUnknown" || de.Name == dbusErrPfx+"NameHasNoOwner" ||
		strings.HasPrefix(de.Name, dbusErrPfx+"Spawn.")) {
		return fmt.Errorf("%w (%s): %w", ErrNoSecretService, ssName, err)
	}
	return fmt.Errorf("the Secret Service's %s: %w", method, err)
}

// sessionBus returns the address of the D-Bus session bus, found as libdbus
// (_dbus_lookup_user_bus) and sd-bus (bus_set_address_user) find it,
// without starting one:
//
//  1. DBUS_SESSION_BUS_ADDRESS, unless empty or "autolaunch:";
//  2. the socket $XDG_RUNTIME_DIR/bus;
//  3. the socket /run/user/<uid>/bus, and the address in
//     /run/user/<uid>/dbus-session (older Ubuntu), as godbus also looks.
//
// It fails with ErrNoSessionBus rather than let godbus, and so go-keyring,
// run dbus-launch, which starts a new, empty bus for every process.
func sessionBus() (string, error) {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return a, nil
	}
	runUser := "/run/user/" + strconv.Itoa(os.Getuid())
	dirs := []string{runUser}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && d != runUser {
		dirs = []string{d, runUser}
	}
	for _, d := range dirs {
		p := filepath.Join(d, "bus")
		if fi, err := os.Stat(p); err == nil && fi.Mode().Type() == fs.ModeSocket {
			return "unix:path=" + dbus.EscapeBusAddressValue(p), nil
		}
	}
	if b, err := os.ReadFile(filepath.Join(runUser, "dbus-session")); err == nil {
		if a, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "DBUS_SESSION_BUS_ADDRESS="); ok && a != "" {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS is not set and there is no $XDG_RUNTIME_DIR/bus or %s/bus", ErrNoSessionBus, runUser)
}

// probe tells whether items can be written and read now, without writing
// one: go-keyring writes to the "login" collection, or to the one the
// "default" alias names if there is no "login"; that collection must
// exist and be unlocked (the Secret Service API then creates items without
// a prompt). It sends Properties.Get Collections, ReadAlias("default") and
// the "login" collection's Locked property together (plus Hello on a new
// connection), and asks for Locked once more only for a collection other
// than "login".
func (s *secretService) probe(ctx context.Context) error {
	if _, err := sessionBus(); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		fresh, err := s.probeOnce(ctx)
		if err == nil || ctx.Err() != nil || attempt == 2 || fresh && !transient(err) {
			return err
		}
	}
}

func (s *secretService) probeOnce(ctx context.Context) (fresh bool, err error) {
	conn, _, hello, err := s.connect(ctx)
	if err != nil {
		return true, err
	}
	fresh = hello != nil
	defer func() {
		var de dbus.Error
		switch {
		case err == nil, ctx.Err() != nil, errors.Is(err, ErrLocked), errors.Is(err, ErrNoCollection):
		case transient(err):
			s.forgetSession(conn)
		case errors.As(err, &de) && strings.HasPrefix(de.Name, secretErrPfx):
		default:
			s.drop(conn)
		}
	}()

	const props = "org.freedesktop.DBus.Properties.Get"
	const collIface = "org.freedesktop.Secret.Collection"
	svc := conn.Object(ssName, ssPath)
	list := svc.GoWithContext(ctx, props, 0, make(chan *dbus.Call, 1), ssService, "Collections")
	alias := svc.GoWithContext(ctx, ssService+".ReadAlias", 0, make(chan *dbus.Call, 1), "default")
	loginLocked := conn.Object(ssName, loginColl).GoWithContext(ctx, props, 0, make(chan *dbus.Call, 1), collIface, "Locked")
	if hello != nil {
		if err := (<-hello.Done).Err; err != nil {
			return fresh, fmt.Errorf("D-Bus Hello: %w", err)
		}
	}
	var all dbus.Variant
	err = (<-list.Done).Store(&all)
	var def dbus.ObjectPath
	aerr := (<-alias.Done).Store(&def)
	var locked bool
	lerr := (<-loginLocked.Done).Store(&locked)
	if err != nil {
		return fresh, callErr("Get Collections", err)
	}
	if aerr != nil {
		return fresh, callErr("ReadAlias", aerr)
	}
	paths, _ := all.Value().([]dbus.ObjectPath)
	coll := def
	if slices.Contains(paths, loginColl) {
		coll = loginColl
	}
	if coll == "" || coll == noneAlias || !slices.Contains(paths, coll) {
		return fresh, fmt.Errorf(`%w: no "login" collection, and the "default" alias names none`, ErrNoCollection)
	}
	if coll == loginColl {
		err = lerr
	} else {
		err = conn.Object(ssName, coll).CallWithContext(ctx, props, 0, collIface, "Locked").Store(&locked)
	}
	if err != nil {
		return fresh, callErr("Get Locked", err)
	}
	if locked {
		return fresh, fmt.Errorf("%w: Secret Service collection %s", ErrLocked, coll)
	}
	return fresh, nil
}

// close closes the connection, if any (for tests and benchmarks).
func (s *secretService) close() {
	s.mu.Lock()
	conn := s.conn
	s.conn, s.session, s.coll = nil, "", ""
	s.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

// sharedRegistered records that gnome-keyring has registered the shared
// session bus connection (dbus.SessionBus) that go-keyring uses.
var sharedRegistered atomic.Bool

// registerShared makes sure gnome-keyring has registered go-keyring's
// connection before go-keyring's first call: go-keyring sends OpenSession
// right after connecting, and gnome-keyring (42 to at least 50, its issue
// 190) aborts, losing every unlocked keyring, on an OpenSession from a
// client it has not registered yet (see secretService). A successful
// SearchItems on the same connection shows the registration; it is
// retried while gnome-keyring answers that it does not know the method
// yet (transient). Failures are left for go-keyring's call to report.
func registerShared(ctx context.Context) {
	if sharedRegistered.Load() {
		return
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for attempt := 0; attempt < 20 && ctx.Err() == nil; attempt++ {
		call := conn.Object(ssName, ssPath).CallWithContext(ctx, ssService+".SearchItems", 0, map[string]string{"service": Service + "-registration-check"})
		if call.Err == nil {
			sharedRegistered.Store(true)
			return
		}
		if !transient(call.Err) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
