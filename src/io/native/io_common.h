// Shared by the addon's files: N-API argument helpers and error reporting. See meshgate_io.c
// for what the addon does and why.

#ifndef MESHGATE_IO_COMMON_H
#define MESHGATE_IO_COMMON_H

#define _GNU_SOURCE
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_BATCH 128
#define ADDRESS_RECORD_BYTES 20

#define CHECK(call)                                                              \
  do {                                                                           \
    if ((call) != napi_ok) {                                                     \
      napi_throw_error(env, "EINVAL", "meshgate_io: bad arguments to " #call); \
      return NULL;                                                               \
    }                                                                            \
  } while (0)

// Throws an Error with code = the errno's name and a message "<what>: <strerror> — <hint>".
napi_value throw_errno(napi_env env, int error, const char* what, const char* hint);
const char* permission_hint(int error);
int get_int(napi_env env, napi_value value, int32_t* out);
int get_u32(napi_env env, napi_value value, uint32_t* out);
int get_arraybuffer(napi_env env, napi_value value, uint8_t** data, size_t* length);
int get_bytes(napi_env env, napi_value value, uint8_t** data, size_t* length);
napi_value number(napi_env env, int64_t value);

// Packets to send or write, given one of two ways, gathered as pointers and lengths (at most
// `max`). Returns how many, or -1 with `usage` thrown.
// - views: an array of Uint8Arrays (argv[0]);
// - slots: by place, (buffer: ArrayBuffer, offsets: Uint32Array, lengths: Uint32Array, count)
//   in argv[0..3], each packet checked to lie inside the buffer.
int gather_views(napi_env env, napi_value array, uint32_t max, uint8_t** bytes, size_t* lengths, const char* usage);
int gather_slots(napi_env env, napi_value* argv, uint32_t max, uint8_t** bytes, size_t* lengths, const char* usage);

// The arguments every batched read shares: (fd, buffer, byteOffset, stride, count, maxLength,
// lengths), checked so the whole batch fits the buffer. Returns 0 (and throws) if not.
typedef struct {
  int32_t fd;
  uint8_t* data;
  uint32_t offset, stride, count, max_length;
  uint32_t* lengths;
} batch_args_t;
int get_batch_args(napi_env env, napi_value* argv, size_t argc, const char* usage, batch_args_t* out);
// The same without the fd: (buffer, byteOffset, stride, count, maxLength, lengths).
int get_batch_slots(napi_env env, napi_value* argv, size_t argc, const char* usage, batch_args_t* out);
// The state behind an External handle (tun.c's, udp.c's); NULL, with `usage` thrown, if not one.
void* get_handle(napi_env env, napi_value value, const char* usage);
// The same for a call whose only argument is the handle.
void* get_only_handle(napi_env env, napi_callback_info info, const char* usage);

napi_value tun_open(napi_env env, napi_callback_info info);
napi_value tun_read(napi_env env, napi_callback_info info);
napi_value tun_write(napi_env env, napi_callback_info info);
napi_value tun_write_slots(napi_env env, napi_callback_info info);
napi_value tun_pending(napi_env env, napi_callback_info info);
napi_value tun_stats(napi_env env, napi_callback_info info);
napi_value udp_open(napi_env env, napi_callback_info info);
napi_value udp_set_mark(napi_env env, napi_callback_info info);
napi_value udp_recv(napi_env env, napi_callback_info info);
napi_value udp_pending(napi_env env, napi_callback_info info);
napi_value udp_send(napi_env env, napi_callback_info info);
napi_value udp_send_slots(napi_env env, napi_callback_info info);
napi_value watch(napi_env env, napi_callback_info info);
napi_value unwatch(napi_env env, napi_callback_info info);

#endif
