package keychain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

const (
	ssName       = "org.freedesktop.secrets"
	ssPath       = dbus.ObjectPath("/org/freedesktop/secrets")
	ssService    = "org.freedesktop.Secret.Service"
	ssItem       = "org.freedesktop.Secret.Item"
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
//  2. Hello, Service.SearchItems and Service.OpenSession("plain"), sent
//     together without waiting for each other (the bus handles one
//     connection's messages in order, so the calls after Hello come from a
//     named peer); only SearchItems on later calls, the session is kept;
//  3. Service.GetSecrets of the item found.
//
// An item that is only in a locked collection is read with go-keyring's Get,
// which unlocks it (and may prompt). Items outside "login" cost one more
// round trip, once, to learn which collection go-keyring uses.
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

var errNoSessionBus = errors.New("no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set")

func (s *secretService) Get(service, user string) (string, error) {
	return s.getContext(context.Background(), service, user)
}

func (s *secretService) Set(service, user, password string) error {
	if err := checkSessionBus(); err != nil {
		return err
	}
	if err := dropHint(service, user); err != nil {
		return err
	}
	return s.set(service, user, password)
}

func (s *secretService) Delete(service, user string) error {
	if err := checkSessionBus(); err != nil {
		return err
	}
	if err := dropHint(service, user); err != nil {
		return err
	}
	return s.del(service, user)
}

func (s *secretService) getContext(ctx context.Context, service, user string) (string, error) {
	if err := checkSessionBus(); err != nil {
		return "", err
	}
	for attempt := 1; ; attempt++ {
		v, fresh, err := s.read(ctx, service, user, attempt == 1)
		switch {
		case errors.Is(err, errFallback):
			return s.fallback(service, user)
		case err == nil, errors.Is(err, keyring.ErrNotFound), ctx.Err() != nil:
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
// can lose the race (seen under load, and from a daemon that has just
// started): SearchItems then fails as "not implemented" and OpenSession
// returns a session that GetSecrets does not know.
func transient(err error) bool {
	var de dbus.Error
	return errors.As(err, &de) && (de.Name == dbusErrPfx+"UnknownMethod" || de.Name == secretErrPfx+"NoSession")
}

// read is one attempt of the fast path. fresh reports whether it made the
// connection it used, so an error is not about a stale one. With useHint it
// first tries the item path remembered by an earlier process (see hint).
func (s *secretService) read(ctx context.Context, service, user string, useHint bool) (v string, fresh bool, err error) {
	h := hint{file: hintFile(service, user)}
	if useHint {
		h.load()
	}
	conn, session, hello, err := s.connect(ctx)
	if err != nil {
		return "", true, err
	}
	fresh = hello != nil
	defer func() {
		switch {
		case err == nil, ctx.Err() != nil, errors.Is(err, errFallback), errors.Is(err, keyring.ErrNotFound):
		case transient(err):
			s.forgetSession(conn)
		default:
			s.drop(conn)
		}
	}()

	svc := conn.Object(ssName, ssPath)
	if hello != nil {
		// gnome-keyring registers a new client in an idle callback that
		// can run after the client's first method calls, and aborts on an
		// OpenSession that beats it (its issue 190). A Ping first, which
		// GDBus answers without the Secret Service, has kept that from
		// happening (see the package tests' notes on the race).
		svc.GoWithContext(ctx, "org.freedesktop.DBus.Peer.Ping", 0, make(chan *dbus.Call, 1))
	}
	attrs := map[string]string{"service": service, "username": user}
	var search, open *dbus.Call
	if h.path == "" {
		search = svc.GoWithContext(ctx, ssService+".SearchItems", 0, make(chan *dbus.Call, 1), attrs)
	}
	if session == "" {
		open = svc.GoWithContext(ctx, ssService+".OpenSession", 0, make(chan *dbus.Call, 1), "plain", dbus.MakeVariant(""))
	}

	if hello != nil {
		if err := (<-hello.Done).Err; err != nil {
			return "", fresh, fmt.Errorf("D-Bus Hello: %w", err)
		}
	}
	var unlocked, locked []dbus.ObjectPath
	if search != nil {
		if err := (<-search.Done).Store(&unlocked, &locked); err != nil {
			return "", fresh, callErr("SearchItems", err)
		}
	}
	if open != nil {
		var out dbus.Variant
		if err := (<-open.Done).Store(&out, &session); err != nil {
			return "", fresh, callErr("OpenSession", err)
		}
		s.keepSession(conn, session)
	}

	if h.path != "" {
		v, ok, err := s.readHinted(ctx, conn, session, h.path, attrs)
		if err != nil || ok {
			return v, fresh, err
		}
		h.drop() // deleted, locked, or another item now: search
		err = svc.CallWithContext(ctx, ssService+".SearchItems", 0, attrs).Store(&unlocked, &locked)
		if err != nil {
			return "", fresh, callErr("SearchItems", err)
		}
	}

	item, err := s.pick(ctx, conn, unlocked, locked)
	if err != nil {
		return "", fresh, err
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
	h.save(item)
	return string(sec.Value), fresh, nil
}

// readHinted reads the secret of the remembered item path, and asks for the
// item's attributes in the same round trip to make sure it is still the
// item of service and user (a deleted item's path may be given to another).
// ok is false if the path does not lead to this unlocked item: the caller
// searches. An error is one the search would not get past (the connection
// or the session failed).
func (s *secretService) readHinted(ctx context.Context, conn *dbus.Conn, session, item dbus.ObjectPath, want map[string]string) (v string, ok bool, err error) {
	get := conn.Object(ssName, ssPath).GoWithContext(ctx, ssService+".GetSecrets", 0, make(chan *dbus.Call, 1), []dbus.ObjectPath{item}, session)
	var props *dbus.Call
	if hintCheckAttrs {
		props = conn.Object(ssName, item).GoWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, make(chan *dbus.Call, 1), ssItem, "Attributes")
	}
	var secrets map[dbus.ObjectPath]secret
	err = (<-get.Done).Store(&secrets)
	var attrs map[string]string
	var perr error
	if props != nil {
		perr = (<-props.Done).Store(&attrs)
	}
	var de dbus.Error
	switch {
	case transient(err):
		return "", false, callErr("GetSecrets", err)
	case err != nil && !errors.As(err, &de):
		return "", false, callErr("GetSecrets", err)
	case err != nil:
		return "", false, nil // the Secret Service refused the path
	case perr != nil && !errors.As(perr, &de):
		return "", false, callErr("Get Attributes", perr)
	case perr != nil:
		return "", false, nil // no such item (gnome-keyring: UnknownMethod)
	}
	sec, ok := secrets[item]
	if !ok || props != nil && (attrs["service"] != want["service"] || attrs["username"] != want["username"]) {
		return "", false, nil
	}
	return string(sec.Value), true, nil
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

	conn, err = dbus.SessionBusPrivateNoAutoStartup(s.opts...)
	if err != nil {
		return nil, "", nil, fmt.Errorf("connect to the D-Bus session bus: %w", err)
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

// callErr adds what was called to a D-Bus error, and says so plainly when
// there is no Secret Service on the bus.
func callErr(method string, err error) error {
	var de dbus.Error
	if errors.As(err, &de) && (de.Name == dbusErrPfx+"ServiceUnknown" || de.Name == dbusErrPfx+"NameHasNoOwner") {
		return fmt.Errorf("no Secret Service (%s) on the session bus: %w", ssName, err)
	}
	return fmt.Errorf("Secret Service %s: %w", method, err)
}

// checkSessionBus fails unless a session bus can be found without starting
// one. Without it godbus, and so go-keyring, would run dbus-launch, which
// starts a new, empty bus for every process.
func checkSessionBus() error {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	dir := "/run/user/" + strconv.Itoa(os.Getuid()) + "/"
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(dir + f); err == nil {
			return nil
		}
	}
	return errNoSessionBus
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

// hintCheckAttrs makes a read through a hint check the item's attributes.
var hintCheckAttrs = true

// A hint is the D-Bus path of the item that holds one service and user,
// remembered in $XDG_RUNTIME_DIR/sso-credproc/items/<hash> by the process
// that found it with SearchItems, so that the next ones read it without
// searching. It holds no secret: only the path. A hint that no longer leads
// to the item (deleted, locked, replaced) is dropped and the item searched
// for; Set and Delete drop the hint of their key before they write.
// Without a runtime directory there are no hints.
type hint struct {
	file string          // "" = no hints
	path dbus.ObjectPath // "" = none, or not loaded
}

// hintPrefix is where every item path of the Secret Service starts.
const hintPrefix = "/org/freedesktop/secrets/collection/"

// hintFile returns the file that holds the hint of service and user, or ""
// if there is no usable runtime directory.
func hintFile(service, user string) string {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" || !filepath.IsAbs(dir) {
		return ""
	}
	sum := sha256.Sum256([]byte(service + "\x00" + user))
	return filepath.Join(dir, "sso-credproc", "items", hex.EncodeToString(sum[:16]))
}

// load reads the hint, if there is one. A file that does not hold an item
// path is removed.
func (h *hint) load() {
	if h.file == "" {
		return
	}
	b, err := os.ReadFile(h.file)
	if err != nil {
		return
	}
	p := dbus.ObjectPath(b)
	if len(b) > 1024 || !strings.HasPrefix(string(p), hintPrefix) || !p.IsValid() {
		h.drop()
		return
	}
	h.path = p
}

// drop removes the hint file.
func (h *hint) drop() {
	h.path = ""
	if h.file != "" {
		os.Remove(h.file)
	}
}

// save remembers item as the hint: written to a temporary file that is
// renamed over the hint, so a reader sees the old hint or the new one. It
// is best effort: without a hint the next read searches.
func (h *hint) save(item dbus.ObjectPath) {
	if h.file == "" || item == h.path {
		return
	}
	run := filepath.Dir(filepath.Dir(filepath.Dir(h.file)))
	if fi, err := os.Stat(run); err != nil || !fi.IsDir() {
		return
	}
	dir := filepath.Dir(h.file)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(dir, ".tmp-*") // mode 0600
	if err != nil {
		return
	}
	_, err = f.WriteString(string(item))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), h.file)
	}
	if err != nil {
		os.Remove(f.Name())
		return
	}
	h.path = item
}

// dropHint removes the hint of service and user, before a write changes
// which item holds them.
func dropHint(service, user string) error {
	f := hintFile(service, user)
	if f == "" {
		return nil
	}
	if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("remove the item hint: %w", err)
	}
	return nil
}
