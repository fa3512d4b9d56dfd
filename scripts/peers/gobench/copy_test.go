// The article's benchmark ("net.TCPConn Zero-Copy"), verbatim except for the addresses: it listened
// on ":8080" and ":9090" (every interface, fixed ports); here each pair listens on 127.0.0.1:0 so
// the run stays on loopback and never collides with a port in use. Run:
//   go test -bench . -benchmem
package gobench

import (
	"io"
	"net"
	"testing"
)

func initConns(addr string) (*net.TCPConn, *net.TCPConn) {
	listener, _ := net.Listen("tcp", addr)
	defer listener.Close()

	client, _ := net.Dial("tcp", listener.Addr().String())
	server, _ := listener.Accept()
	return client.(*net.TCPConn), server.(*net.TCPConn)
}

var msg = make([]byte, 1024*1024)

type setup struct {
	src *net.TCPConn
	dst *net.TCPConn
}

func setupServers() *setup {
	srcClient, srcServer := initConns("127.0.0.1:0")
	dstClient, dstServer := initConns("127.0.0.1:0")

	go func() {
		srcClient.Write(msg)
		srcClient.Close()
	}()

	go func() {
		io.Copy(io.Discard, dstServer)
		dstServer.Close()
	}()

	return &setup{src: srcServer, dst: dstClient}
}

func (s *setup) Close() {
	s.src.Close()
	s.dst.Close()
}

func BenchmarkZeroCopy(b *testing.B) {
	for i := 0; i <= b.N; i++ {
		b.StopTimer()
		s := setupServers()
		b.StartTimer()

		io.Copy(s.dst, s.src)

		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

func BenchmarkNoZeroCopy(b *testing.B) {
	for i := 0; i <= b.N; i++ {
		b.StopTimer()
		s := setupServers()
		b.StartTimer()

		io.Copy(&noZeroCopyConn{s.dst}, &noZeroCopyConn{s.src})

		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

type noZeroCopyConn struct {
	conn *net.TCPConn
}

func (nzc *noZeroCopyConn) Read(b []byte) (int, error) {
	return nzc.conn.Read(b)
}
func (nzc *noZeroCopyConn) Write(b []byte) (int, error) {
	return nzc.conn.Write(b)
}
