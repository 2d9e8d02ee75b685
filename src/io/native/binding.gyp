{
  "targets": [
    {
      "target_name": "meshgate_io",
      "sources": ["meshgate_io.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
