package keychain

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"

	"github.com/godbus/dbus/v5"
)

// maxMessage bounds every D-Bus message the Secret Service reader takes:
// a GetSecrets reply holds the secret (at most maxValue bytes) and a few
// hundred bytes of header, paths and content type.
const maxMessage = maxValue + 4096

// dial connects to the session bus at addr. A Unix socket (path= or
// abstract=, the session bus's usual addresses) is wrapped in boundedConn;
// other transports are godbus's own, without the bound (the Get still
// refuses a secret over maxValue, after godbus has read it).
func (s *secretService) dial(addr string) (*dbus.Conn, error) {
	sockets := unixSockets(addr)
	if len(sockets) == 0 {
		return dbus.Dial(addr, s.opts...)
	}
	var err error
	for _, sock := range sockets {
		var nc net.Conn
		if nc, err = net.Dial("unix", sock); err == nil {
			return dbus.NewConn(newBoundedConn(nc, maxMessage), s.opts...)
		}
	}
	return nil, fmt.Errorf("dbus: dial %s: %w", addr, err)
}

// unixSockets returns the sockets of the unix: addresses in a D-Bus
// address list ("unix:path=/run/user/1000/bus;…"), in order: a path, or
// an abstract name as "@name" (Go's notation). Values are unescaped as the
// D-Bus specification's "Server Addresses" says (%xx).
func unixSockets(addrs string) []string {
	var r []string
	for _, a := range strings.Split(addrs, ";") {
		rest, ok := strings.CutPrefix(a, "unix:")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			v, err := unescapeAddressValue(v)
			if err != nil || v == "" {
				continue
			}
			switch k {
			case "path":
				r = append(r, v)
			case "abstract":
				r = append(r, "@"+v)
			}
		}
	}
	return r
}

func unescapeAddressValue(v string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b.WriteByte(v[i])
			continue
		}
		if i+2 >= len(v) {
			return "", errors.New("bad escape")
		}
		var c byte
		if _, err := fmt.Sscanf(v[i+1:i+3], "%02x", &c); err != nil {
			return "", errors.New("bad escape")
		}
		b.WriteByte(c)
		i += 2
	}
	return b.String(), nil
}

// boundedConn is a bus connection that refuses incoming messages over
// limit bytes. Until the client has sent BEGIN (the end of the SASL
// exchange, which is text) it passes bytes through; after that it reads
// each message's fixed 16-byte header (D-Bus specification, "Message
// Format": byte order, type, flags, version, body length, serial, length
// of the header fields), and fails the read with an *itemTooLarge for a
// message whose length is over limit. godbus then closes the connection
// and fails every call waiting on it with that error, without reading
// the message.
type boundedConn struct {
	net.Conn
	r       *bufio.Reader
	limit   uint64
	framing atomic.Bool
	left    uint64 // bytes of the current message still to read; only godbus's reader touches it
}

func newBoundedConn(c net.Conn, limit uint64) *boundedConn {
	return &boundedConn{Conn: c, r: bufio.NewReader(c), limit: limit}
}

func (c *boundedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err == nil && string(p) == "BEGIN\r\n" {
		c.framing.Store(true)
	}
	return n, err
}

func (c *boundedConn) Read(p []byte) (int, error) {
	if !c.framing.Load() {
		return c.r.Read(p)
	}
	if c.left == 0 {
		h, err := c.r.Peek(16)
		if err != nil {
			return 0, err
		}
		var order binary.ByteOrder
		switch h[0] {
		case 'l':
			order = binary.LittleEndian
		case 'B':
			order = binary.BigEndian
		default:
			return 0, errors.New("dbus: invalid byte order in a message")
		}
		body, fields := uint64(order.Uint32(h[4:8])), uint64(order.Uint32(h[12:16]))
		size := 16 + (fields+7)&^7 + body // the body starts 8-aligned
		if size > c.limit {
			return 0, &itemTooLarge{what: "an item in a Secret Service reply", size: int64(size), max: int64(c.limit)}
		}
		c.left = size
	}
	if uint64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= uint64(n)
	return n, err
}
