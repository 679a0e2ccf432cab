{
  "targets": [
    {
      "target_name": "k8s_enc_native",
      "sources": ["k8s_enc_native.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
