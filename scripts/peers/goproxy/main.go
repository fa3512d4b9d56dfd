// The article's proxy ("net.TCPConn Zero-Copy"): accept, dial the target, and io.Copy in both
// directions between raw *net.TCPConn, which Go turns into splice(2) on Linux. Flags and the printed
// "LISTENING ip:port" line are for scripts/Compare-Peers.ps1; -lifetime makes a forgotten peer exit.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	target := flag.String("target", "", "address to forward to")
	lifetime := flag.Duration("lifetime", 15*time.Minute, "exit after this long")
	flag.Parse()
	if *target == "" {
		log.Fatal("-target is required")
	}

	clientListener, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	defer clientListener.Close()
	fmt.Printf("LISTENING %s\n", clientListener.Addr())
	go func() {
		time.Sleep(*lifetime)
		os.Exit(0)
	}()

	for {
		clientConn, err := clientListener.Accept()
		if err != nil {
			log.Fatal(err)
		}
		targetConn, err := net.Dial("tcp", *target)
		if err != nil {
			log.Print(err)
			clientConn.Close()
			continue
		}
		go proxy(targetConn, clientConn)
	}
}

// As in the article, with one change: after one direction ends, its write side is half-closed
// (CloseWrite) and the other direction is allowed to finish, so a request/response over one connection
// (the sink's byte count, an echo's tail) is not cut off. The article's version closes both at once.
func proxy(targetConn, clientConn net.Conn) {
	defer clientConn.Close()
	defer targetConn.Close()

	errC := make(chan error, 2)
	go copyConn(clientConn, targetConn, errC)
	go copyConn(targetConn, clientConn, errC)
	<-errC
	<-errC
}

func copyConn(dst, src net.Conn, errC chan<- error) {
	_, err := io.Copy(dst, src)
	if tcp, ok := dst.(*net.TCPConn); ok {
		tcp.CloseWrite()
	}
	errC <- err
}
