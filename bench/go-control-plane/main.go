// A go-control-plane ADS server for the relay benchmark (bench/relay/relay-load.ts), built at bench
// time only and never a product dependency. It serves the same snapshot directory the relay
// serves: every clusters/<id>/gateways/<ns>/<name>/latest.json is polled, and the binary
// DiscoveryResponse files of its version (cds.pb, eds.pb, lds.pb, rds.pb, sds.pb) become one
// go-control-plane Snapshot keyed by node.cluster (<clusterId>/<ns>/<gateway>), as the relay does.
// SotW and Delta ADS both come from go-control-plane's own server (pkg/server/v3).
//
//	go run . -source <dir> -listen 127.0.0.1:0 -poll 100ms
//
// It prints "listening <host:port>" on stdout once serving.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/proto"

	// Registers the resource message types, so the Any resources unpack to concrete messages.
	_ "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// clusterHash keys snapshots by node.cluster, the relay's mapping of nodes to gateways.
type clusterHash struct{}

func (clusterHash) ID(node *core.Node) string { return node.GetCluster() }

type latestPointer struct {
	Version int `json:"version"`
}

type gateway struct {
	nodeCluster string
	dir         string // clusters/<id>/gateways/<ns>/<name>
	last        []byte // latest.json as last loaded
	// Per type: hash of the resources' bytes and the version they were first served under. A type
	// whose content did not change keeps its version, so go-control-plane resends only the types
	// that changed, as the relay does (go-control-plane compares version strings, not content).
	typeHash    map[string][32]byte
	typeVersion map[string]string
}

var files = []string{"cds.pb", "eds.pb", "lds.pb", "rds.pb", "sds.pb"}

func load(cache cachev3.SnapshotCache, g *gateway) error {
	body, err := os.ReadFile(filepath.Join(g.dir, "latest.json"))
	if err != nil {
		return err
	}
	if bytes.Equal(body, g.last) {
		return nil
	}
	var latest latestPointer
	if err := json.Unmarshal(body, &latest); err != nil {
		return fmt.Errorf("%s/latest.json: %w", g.dir, err)
	}
	version := fmt.Sprint(latest.Version)
	folder := filepath.Join(g.dir, "versions", fmt.Sprintf("%010d", latest.Version))
	resources := map[resourcev3.Type][]types.Resource{}
	versions := map[resourcev3.Type]string{}
	if g.typeHash == nil {
		g.typeHash = map[string][32]byte{}
		g.typeVersion = map[string]string{}
	}
	for _, name := range files {
		raw, err := os.ReadFile(filepath.Join(folder, name))
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return err
		}
		var response discoverygrpc.DiscoveryResponse
		if err := proto.Unmarshal(raw, &response); err != nil {
			return fmt.Errorf("%s/%s: %w", folder, name, err)
		}
		list := make([]types.Resource, 0, len(response.Resources))
		hash := sha256.New()
		for _, any := range response.Resources {
			hash.Write(any.Value)
			hash.Write([]byte{0})
			message, err := any.UnmarshalNew()
			if err != nil {
				return fmt.Errorf("%s/%s: %w", folder, name, err)
			}
			list = append(list, message)
		}
		resources[response.TypeUrl] = list
		var sum [32]byte
		copy(sum[:], hash.Sum(nil))
		if previous, ok := g.typeHash[response.TypeUrl]; ok && previous == sum {
			versions[response.TypeUrl] = g.typeVersion[response.TypeUrl]
		} else {
			versions[response.TypeUrl] = version
		}
		g.typeHash[response.TypeUrl] = sum
	}
	snapshot, err := cachev3.NewSnapshot(version, resources)
	if err != nil {
		return err
	}
	for typeUrl, items := range resources {
		snapshot.Resources[cachev3.GetResponseType(typeUrl)] = cachev3.NewResources(versions[typeUrl], items)
	}
	if err := cache.SetSnapshot(context.Background(), g.nodeCluster, snapshot); err != nil {
		return err
	}
	g.typeVersion = versions
	g.last = body
	return nil
}

// discover finds every latest.json under root and adds the gateways not yet known.
func discover(root string, known map[string]*gateway) {
	matches, _ := filepath.Glob(filepath.Join(root, "clusters", "*", "gateways", "*", "*", "latest.json"))
	for _, m := range matches {
		dir := filepath.Dir(m)
		if _, ok := known[dir]; ok {
			continue
		}
		rel, _ := filepath.Rel(root, dir)
		var id, ns, name string
		segs := splitAll(rel)
		if len(segs) == 5 {
			id, ns, name = segs[1], segs[3], segs[4]
		}
		known[dir] = &gateway{nodeCluster: id + "/" + ns + "/" + name, dir: dir}
	}
}

func splitAll(p string) []string {
	var out []string
	for p != "." && p != "" && p != string(filepath.Separator) {
		dir, base := filepath.Split(filepath.Clean(p))
		out = append([]string{base}, out...)
		p = filepath.Clean(dir)
	}
	return out
}

func main() {
	source := flag.String("source", "", "snapshot directory (the layout `fleetplane translate --to snapshot` writes)")
	listen := flag.String("listen", "127.0.0.1:0", "ADS gRPC listener")
	poll := flag.Duration("poll", time.Second, "how often each latest.json is read")
	flag.Parse()
	if *source == "" {
		log.Fatal("-source is required")
	}

	cache := cachev3.NewSnapshotCache(true, clusterHash{}, nil)
	gateways := map[string]*gateway{}
	refresh := func() {
		discover(*source, gateways)
		for _, g := range gateways {
			if err := load(cache, g); err != nil {
				log.Printf("load %s: %v", g.nodeCluster, err)
			}
		}
	}
	refresh()
	go func() {
		for range time.Tick(*poll) {
			refresh()
		}
	}()

	server := serverv3.NewServer(context.Background(), cache, nil)
	grpcServer := grpc.NewServer(
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	)
	discoverygrpc.RegisterAggregatedDiscoveryServiceServer(grpcServer, server)
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening %s gateways=%d\n", lis.Addr().String(), len(gateways))
	if err := grpcServer.Serve(lis); err != nil {
		log.Fatal(err)
	}
}
