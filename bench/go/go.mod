module k8sencbench

go 1.19

require golang.org/x/crypto v0.4.0

// Offline build against Debian's golang-golang-x-crypto-dev (0.4.0); bench/run.ts builds in
// GOPATH mode (GO111MODULE=off GOPATH=/usr/share/gocode), which ignores this file, a module-mode build
// (after `go mod tidy` with network access) resolves the same library.
