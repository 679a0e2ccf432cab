/*
 * Batch AES-GCM / AES-CBC over the OpenSSL that Node itself links (its EVP symbols are exported by
 * the node binary, so nothing else is linked). node:crypto costs ~3 µs per value (a cipher context,
 * a key object lookup, output Buffers); here one EVP_CIPHER_CTX per call keeps the key schedule and
 * only the IV is re-initialised per value, and every result lands in one output buffer the caller
 * sized, so a 2 KiB value costs little more than the cipher itself.
 *
 * Layouts (the JS side, src/crypto/native.ts, computes the sizes and slices the results):
 *   gcmOpen(key, bodies[], ads[], out, ok)     body = nonce(12) ‖ ct ‖ tag(16); out gets each ct's
 *                                              plaintext back to back (0 bytes for bodies < 28);
 *                                              ok[i] = 1 when authentication passed.
 *   gcmSeal(key, nonces[], plains[], ads[], prefix, out)   out gets prefix ‖ nonce ‖ ct ‖ tag each.
 *   cbcDecrypt(key, bodies[], out)             body = iv(16) ‖ ct; out gets the raw blocks, no unpad
 *                                              (the caller does upstream's lax padding check).
 *   cbcEncrypt(key, ivs[], plains[], prefix, out)          out gets prefix ‖ iv ‖ CBC(pad(p)) each,
 *                                              padded with 1..16 bytes of the pad length as upstream.
 * Every length is checked against `out` so a wrong size from JS throws instead of writing past it.
 *
 * And, for the snapshot reader (src/etcd/bbolt/file.ts), read-only file mappings:
 *   mapFile(fd, offset, length)  an ArrayBuffer over mmap(PROT_READ, MAP_PRIVATE) of that part of the
 *                                file (offset page-aligned), one mapping per process for the same part
 *                                of the same file. It is unmapped only when the collector has freed
 *                                every buffer over it, so no view of it can outlive the mapping.
 *   dropPages(buffer, ranges)    madvise(MADV_DONTNEED) on each (start, length) pair of the Float64Array
 *                                `ranges`: those pages leave this process's RSS; the next access reads
 *                                them again from the page cache (same bytes).
 */
#include <node_api.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

typedef struct {
  uint8_t *p;
  size_t n;
} bytes;

#define CHECK(env, call)                                                                \
  do {                                                                                  \
    if ((call) != napi_ok) {                                                            \
      napi_throw_error((env), NULL, "k8s-enc native: N-API call failed: " #call);       \
      return 0;                                                                         \
    }                                                                                   \
  } while (0)

static int typed_bytes(napi_env env, napi_value v, bytes *b) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "k8s-enc native: expected a Uint8Array");
    return 0;
  }
  b->p = data;
  b->n = length;
  return 1;
}

static int element_bytes(napi_env env, napi_value arr, uint32_t i, bytes *b) {
  napi_value v;
  CHECK(env, napi_get_element(env, arr, i, &v));
  return typed_bytes(env, v, b);
}

static int array_length(napi_env env, napi_value arr, uint32_t *n) {
  CHECK(env, napi_get_array_length(env, arr, n));
  return 1;
}

static int args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != want) {
    napi_throw_type_error(env, NULL, "k8s-enc native: wrong number of arguments");
    return 0;
  }
  return 1;
}

static const EVP_CIPHER *aes(size_t key_len, int gcm) {
  switch (key_len) {
    case 16: return gcm ? EVP_aes_128_gcm() : EVP_aes_128_cbc();
    case 24: return gcm ? EVP_aes_192_gcm() : EVP_aes_192_cbc();
    case 32: return gcm ? EVP_aes_256_gcm() : EVP_aes_256_cbc();
    default: return NULL;
  }
}

static const uint8_t ZERO_IV[16];

/* A context holding the key schedule; per value only the IV changes. NULL after throwing. */
static EVP_CIPHER_CTX *keyed(napi_env env, napi_value key_v, int gcm, int enc) {
  bytes key;
  if (!typed_bytes(env, key_v, &key)) return NULL;
  const EVP_CIPHER *cipher = aes(key.n, gcm);
  if (cipher == NULL) {
    napi_throw_range_error(env, NULL, "k8s-enc native: AES key must be 16, 24 or 32 bytes");
    return NULL;
  }
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  /* CBC starts from a zero IV that the per-value code below replaces; GCM gets its IV per value. */
  if (ctx == NULL || EVP_CipherInit_ex(ctx, cipher, NULL, key.p, gcm ? NULL : ZERO_IV, enc) != 1 ||
      (!gcm && EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)) {
    EVP_CIPHER_CTX_free(ctx);
    napi_throw_error(env, NULL, "k8s-enc native: cipher init failed");
    return NULL;
  }
  return ctx;
}

static napi_value fail(napi_env env, EVP_CIPHER_CTX *ctx, const char *msg) {
  EVP_CIPHER_CTX_free(ctx);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, msg);
  return NULL;
}

/* EVP_*Update with zero bytes is legal but the pointers may be NULL for empty views: skip it. */
static int update(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t n) {
  int outl = 0;
  if (n == 0) return 1;
  return EVP_CipherUpdate(ctx, out, &outl, in, (int)n) == 1;
}

static napi_value gcm_open(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  uint32_t count, ad_count;
  bytes out, ok;
  if (!args(env, info, 5, argv) || !array_length(env, argv[1], &count) || !array_length(env, argv[2], &ad_count) ||
      !typed_bytes(env, argv[3], &out) || !typed_bytes(env, argv[4], &ok))
    return NULL;
  if (ad_count != count || ok.n < count) return fail(env, NULL, "k8s-enc native: gcmOpen array sizes differ");
  EVP_CIPHER_CTX *ctx = keyed(env, argv[0], 1, 0);
  if (ctx == NULL) return NULL;
  size_t off = 0;
  for (uint32_t i = 0; i < count; i++) {
    bytes body, ad;
    if (!element_bytes(env, argv[1], i, &body) || !element_bytes(env, argv[2], i, &ad)) return fail(env, ctx, "");
    ok.p[i] = 0;
    if (body.n < 12 + 16) continue;
    size_t n = body.n - 12 - 16;
    if (n > out.n - off || n > INT32_MAX || ad.n > INT32_MAX) return fail(env, ctx, "k8s-enc native: gcmOpen output too small");
    int outl = 0;
    if (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, body.p) != 1 ||
        (ad.n > 0 && EVP_DecryptUpdate(ctx, NULL, &outl, ad.p, (int)ad.n) != 1) ||
        !update(ctx, out.p + off, body.p + 12, n) ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, body.p + body.n - 16) != 1)
      return fail(env, ctx, "k8s-enc native: AES-GCM decrypt failed");
    /* Final only verifies the tag (GCM has no buffered bytes); failure is a forged or damaged value. */
    ok.p[i] = EVP_DecryptFinal_ex(ctx, out.p + off + n, &outl) == 1;
    off += n;
  }
  EVP_CIPHER_CTX_free(ctx);
  return NULL;
}

/* Copies prefix ‖ iv into out at *off, checking the room for `rest` more bytes after them. */
static int head(bytes out, size_t *off, bytes prefix, bytes iv, size_t rest) {
  size_t need = prefix.n + iv.n + rest;
  if (need < rest || need > out.n - *off) return 0;
  if (prefix.n > 0) memcpy(out.p + *off, prefix.p, prefix.n);
  memcpy(out.p + *off + prefix.n, iv.p, iv.n);
  *off += prefix.n + iv.n;
  return 1;
}

static napi_value gcm_seal(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  uint32_t count, pc, ac;
  bytes prefix, out;
  if (!args(env, info, 6, argv) || !array_length(env, argv[1], &count) || !array_length(env, argv[2], &pc) ||
      !array_length(env, argv[3], &ac) || !typed_bytes(env, argv[4], &prefix) || !typed_bytes(env, argv[5], &out))
    return NULL;
  if (pc != count || ac != count) return fail(env, NULL, "k8s-enc native: gcmSeal array sizes differ");
  EVP_CIPHER_CTX *ctx = keyed(env, argv[0], 1, 1);
  if (ctx == NULL) return NULL;
  size_t off = 0;
  for (uint32_t i = 0; i < count; i++) {
    bytes nonce, plain, ad;
    if (!element_bytes(env, argv[1], i, &nonce) || !element_bytes(env, argv[2], i, &plain) || !element_bytes(env, argv[3], i, &ad))
      return fail(env, ctx, "");
    if (nonce.n != 12) return fail(env, ctx, "k8s-enc native: AES-GCM nonce must be 12 bytes");
    if (plain.n > INT32_MAX || ad.n > INT32_MAX || !head(out, &off, prefix, nonce, plain.n + 16))
      return fail(env, ctx, "k8s-enc native: gcmSeal output too small");
    int outl = 0;
    if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce.p) != 1 ||
        (ad.n > 0 && EVP_EncryptUpdate(ctx, NULL, &outl, ad.p, (int)ad.n) != 1) ||
        !update(ctx, out.p + off, plain.p, plain.n) ||
        EVP_EncryptFinal_ex(ctx, out.p + off + plain.n, &outl) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.p + off + plain.n) != 1)
      return fail(env, ctx, "k8s-enc native: AES-GCM encrypt failed");
    off += plain.n + 16;
  }
  EVP_CIPHER_CTX_free(ctx);
  return NULL;
}

static napi_value cbc_decrypt(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint32_t count;
  bytes out;
  if (!args(env, info, 3, argv) || !array_length(env, argv[1], &count) || !typed_bytes(env, argv[2], &out)) return NULL;
  EVP_CIPHER_CTX *ctx = keyed(env, argv[0], 0, 0);
  if (ctx == NULL) return NULL;
  uint8_t junk[16];
  size_t off = 0;
  for (uint32_t i = 0; i < count; i++) {
    bytes body;
    if (!element_bytes(env, argv[1], i, &body)) return fail(env, ctx, "");
    if (body.n < 16 || body.n % 16 != 0 || body.n > INT32_MAX) return fail(env, ctx, "k8s-enc native: aescbc body is not whole blocks");
    size_t n = body.n - 16;
    if (n > out.n - off) return fail(env, ctx, "k8s-enc native: cbcDecrypt output too small");
    /* CBC decryption chains on the previous ciphertext block: decrypting the IV as a block makes it
     * that block, so the context continues exactly as if re-initialised with this IV, for the cost
     * of one block instead of a re-init (which is most of the per-value time in OpenSSL 3). */
    if (!update(ctx, junk, body.p, 16) || !update(ctx, out.p + off, body.p + 16, n))
      return fail(env, ctx, "k8s-enc native: AES-CBC decrypt failed");
    off += n;
  }
  EVP_CIPHER_CTX_free(ctx);
  return NULL;
}

static napi_value cbc_encrypt(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  uint32_t count, pc;
  bytes prefix, out;
  if (!args(env, info, 5, argv) || !array_length(env, argv[1], &count) || !array_length(env, argv[2], &pc) ||
      !typed_bytes(env, argv[3], &prefix) || !typed_bytes(env, argv[4], &out))
    return NULL;
  if (pc != count) return fail(env, NULL, "k8s-enc native: cbcEncrypt array sizes differ");
  EVP_CIPHER_CTX *ctx = keyed(env, argv[0], 0, 1);
  if (ctx == NULL) return NULL;
  uint8_t chain[16] = {0}; /* the context's last ciphertext block, the IV it would chain from */
  size_t off = 0;
  for (uint32_t i = 0; i < count; i++) {
    bytes iv, plain;
    if (!element_bytes(env, argv[1], i, &iv) || !element_bytes(env, argv[2], i, &plain)) return fail(env, ctx, "");
    if (iv.n != 16) return fail(env, ctx, "k8s-enc native: AES-CBC IV must be 16 bytes");
    size_t padded = plain.n + 16 - plain.n % 16;
    if (plain.n > INT32_MAX - 32 || !head(out, &off, prefix, iv, padded)) return fail(env, ctx, "k8s-enc native: cbcEncrypt output too small");
    /* No re-init per value: XOR-ing the first block with chain ⊕ iv makes the running context
     * encrypt it as if it had started from iv. Padding (1..16 bytes of its length, as upstream)
     * is written here, since only the first and last blocks need building. */
    size_t whole = plain.n - plain.n % 16;
    uint8_t pad = (uint8_t)(padded - plain.n), first[16], tail[16];
    size_t in_first = plain.n < 16 ? plain.n : 16;
    memcpy(first, plain.p, in_first);
    memset(first + in_first, pad, 16 - in_first);
    for (int j = 0; j < 16; j++) first[j] ^= chain[j] ^ iv.p[j];
    uint8_t *dst = out.p + off;
    int ok = update(ctx, dst, first, 16);
    if (padded > 16) {
      memcpy(tail, plain.p + whole, plain.n - whole);
      memset(tail + (plain.n - whole), pad, 16 - (plain.n - whole));
      ok = ok && update(ctx, dst + 16, plain.p + 16, whole - 16) && update(ctx, dst + padded - 16, tail, 16);
    }
    if (!ok) return fail(env, ctx, "k8s-enc native: AES-CBC encrypt failed");
    memcpy(chain, dst + padded - 16, 16);
    off += padded;
  }
  EVP_CIPHER_CTX_free(ctx);
  return NULL;
}

/* Mappings are shared by every thread of the process that maps the same part of the same file
 * (device, inode, offset, length): the scan workers each open the snapshot, and separate mappings
 * would each count its pages in RSS. Reference-counted; unmapped when the last buffer is freed. */
typedef struct shared_map {
  dev_t dev;
  ino_t ino;
  int64_t offset, length;
  void *p;
  int refs;
  struct shared_map *next;
} shared_map;

static shared_map *maps = NULL;
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;

static void unmap(napi_env env, void *data, void *hint) {
  shared_map *m = hint;
  pthread_mutex_lock(&maps_lock);
  if (--m->refs == 0) {
    for (shared_map **at = &maps; *at != NULL; at = &(*at)->next)
      if (*at == m) {
        *at = m->next;
        break;
      }
    munmap(m->p, (size_t)m->length);
    free(m);
  }
  pthread_mutex_unlock(&maps_lock);
}

static shared_map *acquire_map(int fd, int64_t offset, int64_t length) {
  struct stat st;
  if (fstat(fd, &st) != 0) return NULL;
  pthread_mutex_lock(&maps_lock);
  shared_map *m = maps;
  while (m != NULL && !(m->dev == st.st_dev && m->ino == st.st_ino && m->offset == offset && m->length == length)) m = m->next;
  if (m == NULL) {
    void *p = mmap(NULL, (size_t)length, PROT_READ, MAP_PRIVATE, fd, (off_t)offset);
    m = p == MAP_FAILED ? NULL : malloc(sizeof *m);
    if (m == NULL) {
      if (p != MAP_FAILED) munmap(p, (size_t)length);
    } else {
      *m = (shared_map){st.st_dev, st.st_ino, offset, length, p, 0, maps};
      maps = m;
    }
  }
  if (m != NULL) m->refs++;
  pthread_mutex_unlock(&maps_lock);
  return m;
}

static napi_value map_file(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  int32_t fd;
  int64_t offset, length;
  if (!args(env, info, 3, argv)) return NULL;
  CHECK(env, napi_get_value_int32(env, argv[0], &fd));
  CHECK(env, napi_get_value_int64(env, argv[1], &offset));
  CHECK(env, napi_get_value_int64(env, argv[2], &length));
  if (offset < 0 || length <= 0 || offset % 4096 != 0) return fail(env, NULL, "k8s-enc native: mapFile: bad offset or length");
  shared_map *m = acquire_map(fd, offset, length);
  if (m == NULL) return fail(env, NULL, "k8s-enc native: mapFile: mmap failed");
  if (napi_create_external_arraybuffer(env, m->p, (size_t)length, unmap, m, &result) != napi_ok) {
    unmap(env, m->p, m);
    return fail(env, NULL, "k8s-enc native: mapFile: cannot wrap the mapping");
  }
  return result;
}

static napi_value drop_pages(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  void *data, *ranges;
  size_t length, count;
  napi_typedarray_type type;
  if (!args(env, info, 2, argv)) return NULL;
  CHECK(env, napi_get_arraybuffer_info(env, argv[0], &data, &length));
  if (napi_get_typedarray_info(env, argv[1], &type, &count, &ranges, NULL, NULL) != napi_ok || type != napi_float64_array)
    return fail(env, NULL, "k8s-enc native: dropPages: ranges must be a Float64Array");
  /* Pairs of (start, length) in bytes of the mapping, page-aligned by the caller; out-of-range pairs are skipped. */
  const double *r = ranges;
  for (size_t i = 0; i + 1 < count; i += 2) {
    if (r[i] < 0 || r[i + 1] <= 0 || r[i] + r[i + 1] > (double)length || (uint64_t)r[i] % 4096 != 0) continue;
    madvise((uint8_t *)data + (size_t)r[i], (size_t)r[i + 1], MADV_DONTNEED);
  }
  return NULL;
}

/* NAPI_MODULE_INIT makes the addon context-aware, so each worker thread can load its own copy. */
NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"gcmOpen", NULL, gcm_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gcmSeal", NULL, gcm_seal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cbcDecrypt", NULL, cbc_decrypt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cbcEncrypt", NULL, cbc_encrypt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mapFile", NULL, map_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dropPages", NULL, drop_pages, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
