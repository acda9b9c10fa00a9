// etcd, built from the published go.etcd.io/etcd/server/v3 module for posture's apply tests.
// The server module's own go.mod replaces its siblings with relative paths, so `go install`
// of it fails; as a dependency of this module those replaces do not apply and the published
// sibling modules at the same version are used. Same entry point as etcd's own main.go.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
