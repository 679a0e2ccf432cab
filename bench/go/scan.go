// The scan baseline (-scan verify|get): what a plain Go program does to read every Secret out of
// an `etcdctl snapshot save` file of an aesgcm-encrypted cluster, single-threaded, so the
// TypeScript CLI's whole-process scans have a Go time from the same run (bench/snapshot.ts).
//
// Per run: the sha256 trailer check (size % 512 == 32, as etcdutl recognises it), one read-only
// bbolt transaction with a cursor over the `key` bucket (revision order), the newest revision per
// etcd key kept (tombstones drop the key), keys sorted; per key: mvccpb.KeyValue decoded, AES-GCM
// Open with the etcd key as additional data, the `k8s\0` envelope, runtime.Unknown and the
// Secret walked. `verify` prints one record per value shaped like `k8s-enc verify -o ndjson` and a
// summary; `get` decodes the Secret into a map and prints it with encoding/json (sorted keys, as
// `k8s-enc get -o ndjson` prints kubectl's shape).
package main

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	yaml "gopkg.in/yaml.v2"
)

type encryptionConfig struct {
	Resources []struct {
		Resources []string `yaml:"resources"`
		Providers []struct {
			AESGCM *struct {
				Keys []struct {
					Name   string `yaml:"name"`
					Secret string `yaml:"secret"`
				} `yaml:"keys"`
			} `yaml:"aesgcm"`
		} `yaml:"providers"`
	} `yaml:"resources"`
}

// gcmKey is the first aesgcm key of the config (the bench snapshot's config has exactly one).
func gcmKey(path string) (name string, aead cipher.AEAD) {
	raw, err := os.ReadFile(path)
	must(err)
	var cfg encryptionConfig
	must(yaml.Unmarshal(raw, &cfg))
	for _, r := range cfg.Resources {
		for _, p := range r.Providers {
			if p.AESGCM != nil && len(p.AESGCM.Keys) > 0 {
				k := p.AESGCM.Keys[0]
				secret, err := base64.StdEncoding.DecodeString(k.Secret)
				must(err)
				block, err := aes.NewCipher(secret)
				must(err)
				aead, err := cipher.NewGCM(block)
				must(err)
				return k.Name, aead
			}
		}
	}
	must(errors.New("no aesgcm key in " + path))
	return "", nil
}

// dataSize checks the sha256 trailer and says where the bbolt data ends.
func dataSize(path string) int64 {
	f, err := os.Open(path)
	must(err)
	defer f.Close()
	st, err := f.Stat()
	must(err)
	size := st.Size()
	if size%512 != sha256.Size {
		return size
	}
	size -= sha256.Size
	h := sha256.New()
	_, err = io.CopyN(h, f, size)
	must(err)
	want := make([]byte, sha256.Size)
	_, err = io.ReadFull(f, want)
	must(err)
	if !bytes.Equal(h.Sum(nil), want) {
		must(errors.New("snapshot sha256 mismatch"))
	}
	return size
}

// wire reads protobuf fields: tag, varint, length-delimited.
type wire struct {
	b   []byte
	err error
}

func (w *wire) varint() uint64 {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if len(w.b) == 0 {
			w.err = io.ErrUnexpectedEOF
			return 0
		}
		c := w.b[0]
		w.b = w.b[1:]
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	w.err = errors.New("varint overflow")
	return 0
}

// next returns the field number, wire type and, for length-delimited fields, the bytes.
func (w *wire) next() (field int, typ int, val uint64, data []byte) {
	tag := w.varint()
	field, typ = int(tag>>3), int(tag&7)
	switch typ {
	case 0:
		val = w.varint()
	case 2:
		n := w.varint()
		if w.err == nil && n > uint64(len(w.b)) {
			w.err = io.ErrUnexpectedEOF
		}
		if w.err == nil {
			data, w.b = w.b[:n], w.b[n:]
		}
	case 1:
		if len(w.b) < 8 {
			w.err = io.ErrUnexpectedEOF
		} else {
			w.b = w.b[8:]
		}
	case 5:
		if len(w.b) < 4 {
			w.err = io.ErrUnexpectedEOF
		} else {
			w.b = w.b[4:]
		}
	default:
		w.err = fmt.Errorf("wire type %d", typ)
	}
	if field <= 0 && w.err == nil {
		w.err = errors.New("illegal tag")
	}
	return
}

// kvKeyValue reads mvccpb.KeyValue's key (1) and value (5).
func kvKeyValue(b []byte) (key, value []byte, err error) {
	w := wire{b: b}
	for len(w.b) > 0 && w.err == nil {
		f, _, _, data := w.next()
		switch f {
		case 1:
			key = data
		case 5:
			value = data
		}
	}
	return key, value, w.err
}

var envelope = []byte("k8s\x00")

// unknownRaw walks the envelope and runtime.Unknown, returning the kind and the object's bytes.
func unknownRaw(plain []byte) (apiVersion, kind string, raw []byte, err error) {
	if !bytes.HasPrefix(plain, envelope) {
		return "", "", nil, errors.New("no k8s protobuf envelope")
	}
	w := wire{b: plain[len(envelope):]}
	for len(w.b) > 0 && w.err == nil {
		f, _, _, data := w.next()
		switch f {
		case 1:
			t := wire{b: data}
			for len(t.b) > 0 && t.err == nil {
				tf, _, _, td := t.next()
				switch tf {
				case 1:
					apiVersion = string(td)
				case 2:
					kind = string(td)
				}
			}
			if t.err != nil {
				return "", "", nil, t.err
			}
		case 2:
			raw = data
		}
	}
	return apiVersion, kind, raw, w.err
}

// walk checks a message's wire structure, descending into the given nested fields (by number).
func walk(b []byte, nested func(field int) func([]byte) error) error {
	w := wire{b: b}
	for len(w.b) > 0 && w.err == nil {
		f, typ, _, data := w.next()
		if typ == 2 && w.err == nil {
			if inner := nested(f); inner != nil {
				if err := inner(data); err != nil {
					return err
				}
			}
		}
	}
	return w.err
}

func mapEntry(b []byte) error { return walk(b, func(int) func([]byte) error { return nil }) }

// walkSecret validates Secret{metadata ObjectMeta, data map, type, stringData map}.
func walkSecret(b []byte) error {
	return walk(b, func(f int) func([]byte) error {
		switch f {
		case 1:
			return func(meta []byte) error {
				return walk(meta, func(f int) func([]byte) error {
					switch f {
					case 8, 9, 11, 12, 13, 17: // times, labels, annotations, owner references, managed fields
						return mapEntry
					}
					return nil
				})
			}
		case 2, 4:
			return mapEntry
		}
		return nil
	})
}

// stringMap decodes one map<string,string|bytes> entry.
func mapPair(b []byte) (k string, v []byte, err error) {
	w := wire{b: b}
	for len(w.b) > 0 && w.err == nil {
		f, _, _, data := w.next()
		switch f {
		case 1:
			k = string(data)
		case 2:
			v = data
		}
	}
	return k, v, w.err
}

func rfc3339(b []byte) (string, error) {
	var secs, nanos int64
	w := wire{b: b}
	for len(w.b) > 0 && w.err == nil {
		f, _, v, _ := w.next()
		switch f {
		case 1:
			secs = int64(v)
		case 2:
			nanos = int64(v)
		}
	}
	return time.Unix(secs, nanos).UTC().Format(time.RFC3339), w.err
}

// metaStrings names ObjectMeta's string fields by number.
var metaStrings = []string{1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}

// decodeSecret builds the Secret as kubectl prints it (the fields the bench's Secrets use, and the
// other scalar ObjectMeta fields), for encoding/json to print with sorted keys.
func decodeSecret(apiVersion, kind string, b []byte) (map[string]interface{}, error) {
	obj := map[string]interface{}{"apiVersion": apiVersion, "kind": kind}
	w := wire{b: b}
	for len(w.b) > 0 && w.err == nil {
		f, _, _, data := w.next()
		switch f {
		case 1:
			meta := map[string]interface{}{}
			m := wire{b: data}
			for len(m.b) > 0 && m.err == nil {
				mf, _, mv, md := m.next()
				// gogo writes every scalar field; kubectl's JSON leaves out the empty ones (omitempty).
				switch {
				case mf == 7 && mv != 0:
					meta["generation"] = int64(mv)
				case mf < len(metaStrings) && metaStrings[mf] != "" && len(md) > 0:
					meta[metaStrings[mf]] = string(md)
				}
				switch mf {
				case 8:
					t, err := rfc3339(md)
					if err != nil {
						return nil, err
					}
					meta["creationTimestamp"] = t
				case 11, 12:
					name := "labels"
					if mf == 12 {
						name = "annotations"
					}
					dict, _ := meta[name].(map[string]string)
					if dict == nil {
						dict = map[string]string{}
						meta[name] = dict
					}
					k, v, err := mapPair(md)
					if err != nil {
						return nil, err
					}
					dict[k] = string(v)
				case 14:
					fin, _ := meta["finalizers"].([]string)
					meta["finalizers"] = append(fin, string(md))
				}
			}
			if m.err != nil {
				return nil, m.err
			}
			obj["metadata"] = meta
		case 2:
			dict, _ := obj["data"].(map[string][]byte)
			if dict == nil {
				dict = map[string][]byte{}
				obj["data"] = dict
			}
			k, v, err := mapPair(data)
			if err != nil {
				return nil, err
			}
			dict[k] = v
		case 3:
			if len(data) > 0 {
				obj["type"] = string(data)
			}
		}
	}
	return obj, w.err
}

type verifyRecord struct {
	Key      string  `json:"key"`
	Resource *string `json:"resource"`
	Provider *string `json:"provider"`
	KeyName  *string `json:"keyName"`
	Status   string  `json:"status"`
	Stale    *bool   `json:"stale"`
	Error    *string `json:"error"`
}

type latest struct {
	main, sub uint64
	kv        []byte
	tombstone bool
}

func runScan(mode, snapshot, configPath string) {
	keyName, aead := gcmKey(configPath)
	prefix := []byte("k8s:enc:aesgcm:v1:" + keyName + ":")
	size := dataSize(snapshot)
	_ = size // bbolt reads its pages from the meta page; the trailer after them is never touched
	db, err := bolt.Open(snapshot, 0400, &bolt.Options{ReadOnly: true})
	must(err)
	defer db.Close()
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	defer out.Flush()
	must(db.View(func(tx *bolt.Tx) error {
		bucket := tx.Bucket([]byte("key"))
		if bucket == nil {
			return errors.New("no key bucket")
		}
		newest := map[string]*latest{}
		c := bucket.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) != 17 && len(k) != 18 {
				continue
			}
			key, _, err := kvKeyValue(v)
			if err != nil || !bytes.HasPrefix(key, []byte("/registry/")) {
				continue
			}
			main, sub := beUint64(k[0:8]), beUint64(k[9:17])
			l := newest[string(key)]
			if l == nil {
				l = &latest{}
				newest[string(key)] = l
			} else if l.main > main || (l.main == main && l.sub > sub) {
				continue
			}
			*l = latest{main: main, sub: sub, kv: v, tombstone: len(k) == 18}
		}
		keys := make([]string, 0, len(newest))
		for k, l := range newest {
			if !l.tombstone {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		enc := json.NewEncoder(out)
		provider, stale := "aesgcm", false
		ok, failed := 0, 0
		var plain []byte
		for _, k := range keys {
			key, value, err := kvKeyValue(newest[k].kv)
			if err == nil && !bytes.HasPrefix(value, prefix) {
				err = errors.New("no matching prefix found")
			}
			if err == nil {
				body := value[len(prefix):]
				if len(body) < aead.NonceSize() {
					err = errors.New("the stored data was shorter than the required size")
				} else {
					plain, err = aead.Open(plain[:0], body[:aead.NonceSize()], body[aead.NonceSize():], key)
				}
			}
			var apiVersion, kind string
			var raw []byte
			if err == nil {
				apiVersion, kind, raw, err = unknownRaw(plain)
			}
			if mode == "verify" {
				if err == nil {
					err = walkSecret(raw)
				}
				resource := strings.SplitN(strings.TrimPrefix(k, "/registry/"), "/", 2)[0]
				rec := verifyRecord{Key: k, Resource: &resource, Provider: &provider, KeyName: &keyName, Status: "ok", Stale: &stale}
				if err != nil {
					msg := err.Error()
					rec.Status, rec.Stale, rec.Error = "error", nil, &msg
					failed++
				} else {
					ok++
				}
				must(enc.Encode(rec))
				continue
			}
			var obj map[string]interface{}
			if err == nil {
				obj, err = decodeSecret(apiVersion, kind, raw)
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "error: %s: %v\n", k, err)
				continue
			}
			must(enc.Encode(obj))
		}
		if mode == "verify" {
			summary := map[string]interface{}{"summary": map[string]interface{}{"keys": len(keys), "ok": ok, "plaintext": 0, "failed": failed}}
			must(enc.Encode(summary))
		}
		return nil
	}))
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}
