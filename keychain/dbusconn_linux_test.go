package keychain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
)

func TestUnixSockets(t *testing.T) {
	for addr, want := range map[string][]string{
		"unix:path=/run/user/1000/bus":                   {"/run/user/1000/bus"},
		"unix:abstract=/tmp/dbus-x,guid=0123":            {"@/tmp/dbus-x"},
		"tcp:host=localhost,port=1;unix:path=/a%20b%2cc": {"/a b,c"},
		"unix:path=/a;unix:path=/b":                      {"/a", "/b"},
		"autolaunch:":                                    nil,
		"unix:path=/bad%2":                               nil,
	} {
		if got := unixSockets(addr); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("unixSockets(%q) = %q, want %q", addr, got, want)
		}
	}
}

// message returns a D-Bus message of the given body length with a header
// field array of fields bytes (contents are not looked at).
func message(order binary.ByteOrder, fields, body int) []byte {
	m := make([]byte, 16)
	m[0] = map[binary.ByteOrder]byte{binary.LittleEndian: 'l', binary.BigEndian: 'B'}[order]
	order.PutUint32(m[4:8], uint32(body))
	order.PutUint32(m[12:16], uint32(fields))
	m = append(m, bytes.Repeat([]byte{'f'}, (fields+7)&^7)...)
	return append(m, bytes.Repeat([]byte{'b'}, body)...)
}

// TestBoundedConn checks that the connection passes the SASL exchange and
// messages within the limit through unchanged, and fails the read of a
// message over it from its header, without reading on.
func TestBoundedConn(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	c := newBoundedConn(client, 1000)
	small, big := message(binary.LittleEndian, 13, 500), message(binary.BigEndian, 8, 100000)
	exact := message(binary.LittleEndian, 16, 1000-32)
	go func() {
		server.Write([]byte("OK 0123\r\n"))
		buf := make([]byte, 7)
		io.ReadFull(server, buf) // BEGIN
		server.Write(small)
		server.Write(exact)
		server.Write(big)
	}()
	line := make([]byte, 9)
	if _, err := io.ReadFull(c, line); err != nil || string(line) != "OK 0123\r\n" {
		t.Fatalf("SASL: %q, %v", line, err)
	}
	if _, err := c.Write([]byte("BEGIN\r\n")); err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]byte{small, exact} {
		got := make([]byte, len(want))
		if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("message of %d bytes: %v", len(want), err)
		}
	}
	n, err := c.Read(make([]byte, 64))
	var big2 *itemTooLarge
	if n != 0 || !errors.As(err, &big2) || big2.size != int64(len(big)) {
		t.Fatalf("Read of a message of %d bytes = %d, %v; want an *itemTooLarge", len(big), n, err)
	}
}
