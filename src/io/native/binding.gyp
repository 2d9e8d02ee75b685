{
  "targets": [
    {
      "target_name": "meshgate_io",
      "sources": ["meshgate_io.c", "tun.c", "offload.c", "udp.c", "watch.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
