package keychain

import (
	"context"
	"slices"
	"sync"

	"github.com/zalando/go-keyring"
)

// Memory is an in-memory Backend for tests. It refuses items longer than its
// limit with keyring.ErrSetDataTooBig, as the Windows and macOS backends do,
// counts calls, and can be told to fail or to hang. The Store over it is a
// [Prober] whose Probe succeeds unless told otherwise ([Memory.FailProbes]).
// It is safe for concurrent use.
type Memory struct {
	mu        sync.Mutex
	limit     int
	items     map[[2]string]string
	ops       Ops
	getFail   fault
	setFail   fault
	probeFail fault
	beforeSet func(user string) error
	hold      chan struct{}
}

// Ops counts the calls a Memory has received, failed ones included.
type Ops struct{ Gets, Sets, Deletes, Probes int }

type fault struct {
	n   int
	err error
}

// NewMemory returns an empty Memory that refuses items longer than limit
// bytes (0 = no limit).
func NewMemory(limit int) *Memory {
	return &Memory{limit: limit, items: make(map[[2]string]string)}
}

// Get implements Backend.
func (m *Memory) Get(service, user string) (string, error) {
	m.mu.Lock()
	m.ops.Gets++
	hold := m.hold
	m.mu.Unlock()
	if hold != nil {
		<-hold
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.getFail.take(); err != nil {
		return "", err
	}
	v, ok := m.items[[2]string{service, user}]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

// Set implements Backend.
func (m *Memory) Set(service, user, password string) error {
	m.mu.Lock()
	m.ops.Sets++
	before := m.beforeSet
	m.mu.Unlock()
	if before != nil {
		if err := before(user); err != nil {
			return err
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.setFail.take(); err != nil {
		return err
	}
	if m.limit > 0 && len(password) > m.limit {
		return keyring.ErrSetDataTooBig
	}
	m.items[[2]string{service, user}] = password
	return nil
}

// Delete implements Backend.
func (m *Memory) Delete(service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ops.Deletes++
	k := [2]string{service, user}
	if _, ok := m.items[k]; !ok {
		return keyring.ErrNotFound
	}
	delete(m.items, k)
	return nil
}

// probe answers the Store's Probe: nil, or the error FailProbes set.
func (m *Memory) probe(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ops.Probes++
	return m.probeFail.take()
}

// FailProbes makes the next n Probes of the Store over m fail with err, a
// cause such as ErrLocked, ErrNoCollection, ErrNoSessionBus,
// ErrNoSecretService, ErrDenied, context.DeadlineExceeded, or an error
// wrapping one of them: the Store returns it wrapped with ErrUnavailable,
// as for the real keychain. FailGets and FailSets take the same causes.
func (m *Memory) FailProbes(n int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.probeFail = fault{n, err}
}

// FailGets makes the next n Gets return err.
func (m *Memory) FailGets(n int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.getFail = fault{n, err}
}

// FailSets makes the next n Sets return err.
func (m *Memory) FailSets(n int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setFail = fault{n, err}
}

// BeforeSet makes every Set first call f with the item's user name (the key,
// or a part's name) and return f's error instead of storing if it is not
// nil, e.g. to stop a chunked write at a chosen item. nil removes the hook.
func (m *Memory) BeforeSet(f func(user string) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.beforeSet = f
}

// HoldGets makes Gets block until release is called, to test timeouts.
// Calling release more than once is harmless.
func (m *Memory) HoldGets() (release func()) {
	ch := make(chan struct{})
	m.mu.Lock()
	m.hold = ch
	m.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			if m.hold == ch {
				m.hold = nil
			}
			m.mu.Unlock()
			close(ch)
		})
	}
}

// Ops returns the calls received so far.
func (m *Memory) Ops() Ops {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ops
}

// Users returns the sorted user names of the service's items: the keys and
// the names of their parts.
func (m *Memory) Users(service string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var users []string
	for k := range m.items {
		if k[0] == service {
			users = append(users, k[1])
		}
	}
	slices.Sort(users)
	return users
}

func (f *fault) take() error {
	if f.n <= 0 {
		return nil
	}
	f.n--
	return f.err
}
