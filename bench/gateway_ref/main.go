// gateway_ref — the reference HTTP→NATS publisher of bench/gateway.sh: what a plain Go
// service on net/http and nats.go does for `outbreak gateway`'s POST /, to compare the
// two on the same NATS, subject and requests.
//
//	gateway_ref -listen 127.0.0.1:PORT -nats nats://127.0.0.1:4222 -subject S
//	            [-jetstream -stream NAME] [-flush shared|each]
//	gateway_ref -nats URL -delete-stream NAME     (deletes a stream and exits)
//
// POST / takes one record as JSON (the five fields name, location, age, infectedtype,
// state, checked as outbreak checks them: types, one of the 22 departments, age 1..90, a
// known infectedtype and state; run/producer/seq/sent_ns all or none), publishes the body
// unchanged on one kept connection, and answers 200 once NATS has it:
//
//   - core NATS: after a flush (PING/PONG) that went out behind the publish. With
//     -flush shared (the default) one flusher goroutine flushes for every request that
//     published before it sent its PING, as outbreak's publisher does with its marker;
//     with -flush each, every request calls nc.FlushTimeout itself;
//   - JetStream (-jetstream): after the stream's PubAck (js.PublishAsync and a wait on
//     the ack future). The stream, bound to the subject with file storage, is created
//     if missing.
//
// 400 for malformed JSON or a missing/ill-typed/out-of-domain field, 503 when NATS
// refused or did not answer within 3 s, 404/405 otherwise. GET or HEAD /healthz: 200.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const ackTimeout = 3 * time.Second
const maxBody = 1 << 20

var departments = map[string]bool{
	"Alta Verapaz": true, "Baja Verapaz": true, "Chimaltenango": true, "Chiquimula": true,
	"El Progreso": true, "Escuintla": true, "Guatemala": true, "Huehuetenango": true,
	"Izabal": true, "Jalapa": true, "Jutiapa": true, "Petén": true,
	"Quetzaltenango": true, "Quiché": true, "Retalhuleu": true, "Sacatepéquez": true,
	"San Marcos": true, "Santa Rosa": true, "Sololá": true, "Suchitepéquez": true,
	"Totonicapán": true, "Zacapa": true,
}
var infectedTypes = map[string]bool{"communitary": true, "imported": true, "non-imported": true}
var states = map[string]bool{"symptomatic": true, "asymptomatic": true}

// record: pointers so that a missing field is told from a zero one.
type record struct {
	Name         *string `json:"name"`
	Location     *string `json:"location"`
	Age          *int    `json:"age"`
	InfectedType *string `json:"infectedtype"`
	State        *string `json:"state"`
	Run          *string `json:"run"`
	Producer     *uint32 `json:"producer"`
	Seq          *uint64 `json:"seq"`
	SentNs       *int64  `json:"sent_ns"`
}

// check decodes and checks one record; "" when it is good.
func check(body []byte) string {
	var r record
	if err := json.Unmarshal(body, &r); err != nil {
		return err.Error()
	}
	switch {
	case r.Name == nil:
		return `missing field "name"`
	case r.Location == nil:
		return `missing field "location"`
	case r.Age == nil:
		return `missing field "age"`
	case r.InfectedType == nil:
		return `missing field "infectedtype"`
	case r.State == nil:
		return `missing field "state"`
	case !departments[*r.Location]:
		return fmt.Sprintf("location %q is not one of Guatemala's 22 departments", *r.Location)
	case *r.Age < 1 || *r.Age > 90:
		return fmt.Sprintf("age %d is out of range 1..90", *r.Age)
	case !infectedTypes[*r.InfectedType]:
		return fmt.Sprintf("infectedtype %q is not communitary, imported or non-imported", *r.InfectedType)
	case !states[*r.State]:
		return fmt.Sprintf("state %q is not symptomatic or asymptomatic", *r.State)
	}
	n := 0
	for _, p := range []bool{r.Run != nil, r.Producer != nil, r.Seq != nil, r.SentNs != nil} {
		if p {
			n++
		}
	}
	if n != 0 && n != 4 {
		return "metadata incomplete: run, producer, seq and sent_ns go together"
	}
	return ""
}

// flusher: one goroutine flushing for every request that published before its PING.
// A request publishes, then waits; the flusher takes the waiters there are, flushes
// (the PING goes out behind their publishes), and answers them all with the result.
type flusher struct {
	nc      *nats.Conn
	mu      sync.Mutex
	waiters []chan error
	spare   []chan error
	kick    chan struct{}
}

func newFlusher(nc *nats.Conn) *flusher {
	f := &flusher{nc: nc, kick: make(chan struct{}, 1)}
	go f.loop()
	return f
}

var chanPool = sync.Pool{New: func() any { return make(chan error, 1) }}

func (f *flusher) wait() error {
	ch := chanPool.Get().(chan error)
	f.mu.Lock()
	f.waiters = append(f.waiters, ch)
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
	}
	err := <-ch
	chanPool.Put(ch)
	return err
}

func (f *flusher) loop() {
	for range f.kick {
		f.mu.Lock()
		batch := f.waiters
		f.waiters = f.spare[:0]
		f.mu.Unlock()
		if len(batch) == 0 {
			f.spare = batch
			continue
		}
		err := f.nc.FlushTimeout(ackTimeout)
		for i, ch := range batch {
			ch <- err
			batch[i] = nil
		}
		f.spare = batch
	}
}

type server struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	subject string
	fl      *flusher
	each    bool
	bufs    sync.Pool
	n200    atomic.Uint64
	n400    atomic.Uint64
	n503    atomic.Uint64
}

func (s *server) fail(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	io.WriteString(w, fmt.Sprintf("%d %s\n", code, msg))
}

func (s *server) ok(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, body)
	s.n200.Add(1)
}

func (s *server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			s.fail(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`+"\n")
		return
	case "/":
	default:
		s.fail(w, http.StatusNotFound, "not found")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		s.fail(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	body, err := readBody(r.Body, (*bp)[:0])
	*bp = body[:0]
	if err != nil {
		s.n400.Add(1)
		s.fail(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	if len(body) == 0 {
		s.n400.Add(1)
		s.fail(w, http.StatusBadRequest, "empty body")
		return
	}
	if msg := check(body); msg != "" {
		s.n400.Add(1)
		s.fail(w, http.StatusBadRequest, msg)
		return
	}
	if s.js != nil {
		// PublishAsync copies nothing: the body must live until the ack, which it does
		// (we wait for the ack before the buffer goes back to the pool).
		f, err := s.js.PublishAsync(s.subject, body)
		if err != nil {
			s.n503.Add(1)
			s.fail(w, http.StatusServiceUnavailable, "publish: "+err.Error())
			return
		}
		t := time.NewTimer(ackTimeout)
		defer t.Stop()
		select {
		case ack := <-f.Ok():
			s.ok(w, fmt.Sprintf(`{"acked":1,"stream":%q,"seq":%d}`+"\n", ack.Stream, ack.Sequence))
		case err := <-f.Err():
			s.n503.Add(1)
			s.fail(w, http.StatusServiceUnavailable, "PubAck: "+err.Error())
		case <-t.C:
			s.n503.Add(1)
			s.fail(w, http.StatusServiceUnavailable, "no PubAck within 3s")
		}
		return
	}
	if err := s.nc.Publish(s.subject, body); err != nil {
		s.n503.Add(1)
		s.fail(w, http.StatusServiceUnavailable, "publish: "+err.Error())
		return
	}
	if s.each {
		err = s.nc.FlushTimeout(ackTimeout)
	} else {
		err = s.fl.wait()
	}
	if err != nil {
		s.n503.Add(1)
		s.fail(w, http.StatusServiceUnavailable, "flush: "+err.Error())
		return
	}
	s.ok(w, `{"acked":1}`+"\n")
}

// readBody appends the request body to buf, at most maxBody bytes.
func readBody(rd io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > maxBody {
			return buf, fmt.Errorf("body over %d bytes", maxBody)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// ensureStream creates the stream, bound to subject with file storage, if missing.
func ensureStream(ctx context.Context, js jetstream.JetStream, name, subject string) error {
	if _, err := js.Stream(ctx, name); err == nil {
		return nil
	} else if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return err
	}
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: name, Subjects: []string{subject}, Storage: jetstream.FileStorage,
	})
	return err
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8199", "HOST:PORT to listen on")
	natsURL := flag.String("nats", nats.DefaultURL, "NATS server URL")
	subject := flag.String("subject", "outbreak.bench.gwref", "subject to publish on")
	useJS := flag.Bool("jetstream", false, "publish to JetStream and answer after the PubAck")
	stream := flag.String("stream", "OBGWREF", "JetStream stream (created if missing)")
	flushMode := flag.String("flush", "shared", "core NATS: shared (one flusher for all) or each (a flush per request)")
	maxPending := flag.Int("max-pending", 4096, "JetStream async publishes in flight")
	deleteStream := flag.String("delete-stream", "", "delete this stream and exit")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gateway_ref: ")
	if *flushMode != "shared" && *flushMode != "each" {
		log.Fatalf("-flush must be shared or each")
	}

	nc, err := nats.Connect(*natsURL, nats.Name("gateway_ref"), nats.MaxReconnects(-1))
	if err != nil {
		log.Fatalf("connect %s: %v", *natsURL, err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if *deleteStream != "" {
		js, err := jetstream.New(nc)
		if err == nil {
			err = js.DeleteStream(ctx, *deleteStream)
		}
		if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			log.Fatalf("delete stream %s: %v", *deleteStream, err)
		}
		return
	}

	s := &server{nc: nc, subject: *subject, each: *flushMode == "each"}
	s.bufs.New = func() any { b := make([]byte, 0, 1024); return &b }
	mode := "core NATS, flush " + *flushMode
	if *useJS {
		js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(*maxPending))
		if err != nil {
			log.Fatalf("jetstream: %v", err)
		}
		if err := ensureStream(ctx, js, *stream, *subject); err != nil {
			log.Fatalf("stream %s: %v", *stream, err)
		}
		s.js = js
		mode = "JetStream stream " + *stream + ", PubAck"
	} else {
		s.fl = newFlusher(nc)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen %s: %v", *listen, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("gateway_ref: listening on %s, publishing to %s subject %s (%s)\n",
		ln.Addr(), *natsURL, *subject, mode)
	os.Stdout.Sync()

	done := make(chan struct{})
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		<-sig
		sctx, scancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer scancel()
		srv.Shutdown(sctx)
		close(done)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatalf("serve: %v", err)
	}
	<-done
	nc.Drain()
	fmt.Printf("gateway_ref: 200 %d, 400 %d, 503 %d\n", s.n200.Load(), s.n400.Load(), s.n503.Load())
}
