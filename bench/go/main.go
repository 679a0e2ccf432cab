// Command k8sencbench measures what kube-apiserver spends per value on the aescbc, aesgcm and
// secretbox providers (k8s.io/apiserver pkg/storage/value/encrypt/{aes,secretbox}), with Go's
// standard library and golang.org/x/crypto, so the TypeScript numbers have a baseline measured on
// the same machine in the same run. It prints one JSON row per measurement on stdout.
//
// The per-value work mirrors the transformers: prefix check and slice, then for aescbc a
// cipher.NewCBCDecrypter per value over a cipher.Block made once per key and the lax padding
// check; for aesgcm one cipher.AEAD made once and Open/Seal per value with the etcd key as
// additional data; for secretbox secretbox.Open/Seal per value. Writes draw their IV/nonce from
// crypto/rand, as upstream does.
//
// With -scan verify|get it instead scans an etcd snapshot file (scan.go).
package main

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/nacl/secretbox"
)

type row struct {
	Name     string  `json:"name"`
	Provider string  `json:"provider"`
	Op       string  `json:"op"`
	Backend  string  `json:"backend"`
	Values   int     `json:"values"`
	Bytes    int     `json:"bytes"`
	Ms       float64 `json:"ms"`
	RssMB    float64 `json:"rssMB"`
}

// provider is one of the three transformers reduced to its per-value read and write.
type provider struct {
	name   string
	prefix []byte
	write  func(plain, ad []byte) ([]byte, error)
	read   func(stored, ad []byte) ([]byte, error)
}

var errShort = errors.New("the stored data was shorter than the required size")

func aescbc(key []byte) provider {
	block, err := aes.NewCipher(key)
	must(err)
	prefix := []byte("k8s:enc:aescbc:v1:key1:")
	return provider{
		name:   "aescbc",
		prefix: prefix,
		write: func(plain, _ []byte) ([]byte, error) {
			pad := aes.BlockSize - len(plain)%aes.BlockSize
			out := make([]byte, len(prefix)+aes.BlockSize+len(plain)+pad)
			copy(out, prefix)
			body := out[len(prefix):]
			iv := body[:aes.BlockSize]
			if _, err := rand.Read(iv); err != nil {
				return nil, err
			}
			ct := body[aes.BlockSize:]
			copy(ct, plain)
			for i := len(plain); i < len(ct); i++ {
				ct[i] = byte(pad)
			}
			cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)
			return out, nil
		},
		read: func(stored, _ []byte) ([]byte, error) {
			if !bytes.HasPrefix(stored, prefix) {
				return nil, errors.New("no matching prefix found")
			}
			data := stored[len(prefix):]
			if len(data) < aes.BlockSize {
				return nil, errShort
			}
			iv := data[:aes.BlockSize]
			data = data[aes.BlockSize:]
			if len(data)%aes.BlockSize != 0 {
				return nil, errors.New("the stored data is not a multiple of the block size")
			}
			result := make([]byte, len(data))
			cipher.NewCBCDecrypter(block, iv).CryptBlocks(result, data)
			c := result[len(result)-1]
			if c == 0 || int(c) > len(result) {
				return nil, errors.New("invalid PKCS7 data (empty or not padded)")
			}
			for _, b := range result[len(result)-int(c):] {
				if b != c {
					return nil, errors.New("invalid padding on input")
				}
			}
			return result[:len(result)-int(c)], nil
		},
	}
}

func aesgcm(key []byte) provider {
	block, err := aes.NewCipher(key)
	must(err)
	aead, err := cipher.NewGCM(block)
	must(err)
	prefix := []byte("k8s:enc:aesgcm:v1:key1:")
	ns := aead.NonceSize()
	return provider{
		name:   "aesgcm",
		prefix: prefix,
		write: func(plain, ad []byte) ([]byte, error) {
			out := make([]byte, len(prefix)+ns+len(plain)+aead.Overhead())
			copy(out, prefix)
			nonce := out[len(prefix) : len(prefix)+ns]
			if _, err := rand.Read(nonce); err != nil {
				return nil, err
			}
			aead.Seal(out[len(prefix)+ns:len(prefix)+ns], nonce, plain, ad)
			return out, nil
		},
		read: func(stored, ad []byte) ([]byte, error) {
			if !bytes.HasPrefix(stored, prefix) {
				return nil, errors.New("no matching prefix found")
			}
			data := stored[len(prefix):]
			if len(data) < ns {
				return nil, errShort
			}
			return aead.Open(nil, data[:ns], data[ns:], ad)
		},
	}
}

func secretboxProvider(key []byte) provider {
	var k [32]byte
	copy(k[:], key)
	prefix := []byte("k8s:enc:secretbox:v1:key1:")
	return provider{
		name:   "secretbox",
		prefix: prefix,
		write: func(plain, _ []byte) ([]byte, error) {
			var nonce [24]byte
			if _, err := rand.Read(nonce[:]); err != nil {
				return nil, err
			}
			out := make([]byte, len(prefix)+24, len(prefix)+24+len(plain)+secretbox.Overhead)
			copy(out, prefix)
			copy(out[len(prefix):], nonce[:])
			return secretbox.Seal(out, plain, &nonce, &k), nil
		},
		read: func(stored, _ []byte) ([]byte, error) {
			if !bytes.HasPrefix(stored, prefix) {
				return nil, errors.New("no matching prefix found")
			}
			data := stored[len(prefix):]
			if len(data) < 24+secretbox.Overhead {
				return nil, errShort
			}
			var nonce [24]byte
			copy(nonce[:], data[:24])
			out, ok := secretbox.Open(nil, data[24:], &nonce, &k)
			if !ok {
				return nil, errors.New("output array was not large enough for encryption")
			}
			return out, nil
		},
	}
}

// plaintexts are deterministic and distinct per value, the same formula as bench/inputs.ts.
func plaintexts(count, size int) [][]byte {
	out := make([][]byte, count)
	for i := range out {
		p := make([]byte, size)
		for j := range p {
			p[j] = byte((i*131 + j*7) & 0xff)
		}
		out[i] = p
	}
	return out
}

func etcdKeys(count int) [][]byte {
	out := make([][]byte, count)
	for i := range out {
		out[i] = []byte("/registry/secrets/default/s" + strconv.Itoa(i))
	}
	return out
}

// peakRssMB reads VmHWM, the resident-set high-water mark, like process.resourceUsage().maxRSS.
func peakRssMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := s.Text(); strings.HasPrefix(line, "VmHWM:") {
			v := strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "kB")
			kb, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return kb / 1024
		}
	}
	return 0
}

// best runs fn `reps` times and keeps the fastest, the same policy as the TypeScript bulk runs.
func best(reps int, fn func()) float64 {
	times := make([]float64, reps)
	for r := range times {
		runtime.GC()
		start := time.Now()
		fn()
		times[r] = float64(time.Since(start).Microseconds()) / 1000
	}
	sort.Float64s(times)
	return times[0]
}

func main() {
	count := flag.Int("values", 100000, "values per run at the base size")
	sizesFlag := flag.String("sizes", "2048", "comma-separated plaintext sizes; counts shrink so each size moves about as many bytes as values×2048")
	reps := flag.Int("reps", 3, "repetitions per measurement (the fastest is reported)")
	procs := flag.Int("procs", 1, "GOMAXPROCS")
	scan := flag.String("scan", "", "verify|get: scan -snapshot with -config instead of the bulk runs (scan.go)")
	snapshot := flag.String("snapshot", "", "etcd snapshot file for -scan")
	config := flag.String("config", "", "EncryptionConfiguration for -scan")
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	if *scan != "" {
		runScan(*scan, *snapshot, *config)
		return
	}
	// Collection during a timed loop would charge Go for its allocator; the apiserver pays that too,
	// so GC stays on, only the between-runs GC in best() levels the start.
	debug.SetGCPercent(100)

	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	providers := []provider{aescbc(key), aesgcm(key), secretboxProvider(key)}
	enc := json.NewEncoder(os.Stdout)
	for _, field := range strings.Split(*sizesFlag, ",") {
		size, err := strconv.Atoi(strings.TrimSpace(field))
		must(err)
		n := *count
		if size > 2048 {
			n = max(1, *count*2048/size)
		}
		plain := plaintexts(n, size)
		ads := etcdKeys(n)
		for _, p := range providers {
			stored := make([][]byte, n)
			msEnc := best(*reps, func() {
				for i := range plain {
					out, err := p.write(plain[i], ads[i])
					must(err)
					stored[i] = out
				}
			})
			msDec := best(*reps, func() {
				for i := range stored {
					out, err := p.read(stored[i], ads[i])
					must(err)
					if len(out) != size {
						must(fmt.Errorf("%s: read %d bytes, want %d", p.name, len(out), size))
					}
				}
			})
			for _, r := range []row{
				{Provider: p.name, Op: "encrypt", Ms: msEnc},
				{Provider: p.name, Op: "decrypt", Ms: msDec},
			} {
				r.Name = fmt.Sprintf("bulk %s %s %d×%d", r.Provider, r.Op, n, size)
				r.Backend = "go-stdlib"
				r.Values = n
				r.Bytes = n * size
				r.RssMB = peakRssMB()
				must(enc.Encode(r))
			}
		}
	}
}

func max(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8sencbench:", err)
		os.Exit(1)
	}
}
