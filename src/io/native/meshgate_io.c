// meshgate's native I/O: the TUN device and UDP sockets, in batches, straight to and from the
// WASM packet arena, with readiness through libuv. Only system calls live here; every policy
// (what to read, where, what a packet means) is TypeScript's (src/io/*.ts).
//
// Flow of a batch:
//   1. libuv reports the fd readable (watch) → JavaScript calls tunRead / udpRecv;
//   2. up to `count` packets are read into slot i of the given ArrayBuffer at
//      byteOffset + i * stride (recvmmsg for UDP: one system call for the batch);
//   3. JavaScript runs the WASM core over the slots, then tunWrite / udpSend the results
//      (sendmmsg for UDP) from wherever they are (views into the arena or other buffers).
//
// Addresses cross as 20-byte records: family (4 or 6), 0, port (big-endian u16), 16 address
// bytes (an IPv4 address in the first 4).
//
// Errors: opening throws an Error whose `code` is the errno name and whose message says what to
// do; reads and writes never throw for conditions the network causes (EAGAIN, ECONNREFUSED,
// EMSGSIZE…): they stop or skip and report counts.

// Files: tun.c (the TUN device), offload.c (its TCP segmentation and coalescing), udp.c
// (sockets, recvmmsg/sendmmsg, UDP GSO), watch.c (readiness);
// this one holds the shared argument helpers and the module's export table.

#include "io_common.h"  // first: it defines _GNU_SOURCE for the system headers

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

napi_value throw_errno(napi_env env, int error, const char* what, const char* hint) {
  char message[512];
  snprintf(message, sizeof message, "%s: %s%s%s", what, strerror(error), hint ? " — " : "", hint ? hint : "");
  napi_value code_value, message_value, error_value;
  napi_create_string_utf8(env, strerrorname_np(error) ? strerrorname_np(error) : "EIO", NAPI_AUTO_LENGTH, &code_value);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value);
  napi_create_error(env, code_value, message_value, &error_value);
  napi_throw(env, error_value);
  return NULL;
}

const char* permission_hint(int error) {
  if (error == EPERM || error == EACCES) return "this needs CAP_NET_ADMIN: run as root or grant the capability";
  return NULL;
}

int get_int(napi_env env, napi_value value, int32_t* out) {
  return napi_get_value_int32(env, value, out) == napi_ok;
}

int get_u32(napi_env env, napi_value value, uint32_t* out) {
  return napi_get_value_uint32(env, value, out) == napi_ok;
}

// The data of an ArrayBuffer.
int get_arraybuffer(napi_env env, napi_value value, uint8_t** data, size_t* length) {
  void* pointer;
  if (napi_get_arraybuffer_info(env, value, &pointer, length) != napi_ok) return 0;
  *data = pointer;
  return 1;
}

// The bytes a Uint8Array (or any typed array) covers.
int get_bytes(napi_env env, napi_value value, uint8_t** data, size_t* length) {
  napi_typedarray_type type;
  void* pointer;
  napi_value buffer;
  size_t offset, count;
  if (napi_get_typedarray_info(env, value, &type, &count, &pointer, &buffer, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array && type != napi_uint8_clamped_array) return 0;
  *data = pointer;
  *length = count;
  return 1;
}

int gather_views(napi_env env, napi_value array, uint32_t max, uint8_t** bytes, size_t* lengths, const char* usage) {
  uint32_t count;
  if (napi_get_array_length(env, array, &count) != napi_ok || count > max) {
    napi_throw_error(env, "EINVAL", usage);
    return -1;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    if (napi_get_element(env, array, i, &element) != napi_ok || !get_bytes(env, element, &bytes[i], &lengths[i])) {
      napi_throw_error(env, "EINVAL", usage);
      return -1;
    }
  }
  return (int)count;
}

int gather_slots(napi_env env, napi_value* argv, uint32_t max, uint8_t** bytes, size_t* lengths, const char* usage) {
  uint8_t* data;
  size_t data_length, offsets_count, lengths_count;
  napi_typedarray_type offsets_type, lengths_type;
  uint32_t *offsets, *sizes, count;
  if (!get_arraybuffer(env, argv[0], &data, &data_length) ||
      napi_get_typedarray_info(env, argv[1], &offsets_type, &offsets_count, (void**)&offsets, NULL, NULL) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &lengths_type, &lengths_count, (void**)&sizes, NULL, NULL) != napi_ok ||
      offsets_type != napi_uint32_array || lengths_type != napi_uint32_array || !get_u32(env, argv[3], &count) || count > max ||
      count > offsets_count || count > lengths_count) {
    napi_throw_error(env, "EINVAL", usage);
    return -1;
  }
  for (uint32_t i = 0; i < count; i++) {
    if ((size_t)offsets[i] > data_length || (size_t)sizes[i] > data_length - offsets[i]) {
      napi_throw_range_error(env, "ERANGE", "a packet lies outside its buffer");
      return -1;
    }
    bytes[i] = data + offsets[i];
    lengths[i] = sizes[i];
  }
  return (int)count;
}

napi_value number(napi_env env, int64_t value) {
  napi_value result;
  napi_create_int64(env, value, &result);
  return result;
}

int get_batch_args(napi_env env, napi_value* argv, size_t argc, const char* usage, batch_args_t* out) {
  if (argc < 1 || !get_int(env, argv[0], &out->fd)) {
    napi_throw_error(env, "EINVAL", usage);
    return 0;
  }
  return get_batch_slots(env, argv + 1, argc - 1, usage, out);
}

int get_batch_slots(napi_env env, napi_value* argv, size_t argc, const char* usage, batch_args_t* out) {
  size_t data_length, lengths_length;
  napi_typedarray_type type;
  if (argc < 6 || !get_arraybuffer(env, argv[0], &out->data, &data_length) ||
      !get_u32(env, argv[1], &out->offset) || !get_u32(env, argv[2], &out->stride) || !get_u32(env, argv[3], &out->count) ||
      !get_u32(env, argv[4], &out->max_length) ||
      napi_get_typedarray_info(env, argv[5], &type, &lengths_length, (void**)&out->lengths, NULL, NULL) != napi_ok ||
      type != napi_uint32_array) {
    napi_throw_error(env, "EINVAL", usage);
    return 0;
  }
  uint64_t last = out->count == 0 ? 0 : (uint64_t)out->stride * (out->count - 1);
  if (out->count > MAX_BATCH || out->count > lengths_length || (uint64_t)out->offset + last + out->max_length > data_length) {
    napi_throw_range_error(env, "ERANGE", "the batch does not fit the buffer");
    return 0;
  }
  return 1;
}

// The state an External holds (a TUN's or a UDP socket's handle), or NULL (and thrown).
void* get_handle(napi_env env, napi_value value, const char* usage) {
  void* data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_error(env, "EINVAL", usage);
    return NULL;
  }
  return data;
}

// For functions whose only argument is a handle.
void* get_only_handle(napi_env env, napi_callback_info info, const char* usage) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_error(env, "EINVAL", usage);
    return NULL;
  }
  return get_handle(env, argv[0], usage);
}

// close(fd)
static napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_int(env, argv[0], &fd)) {
    napi_throw_error(env, "EINVAL", "close(fd)");
    return NULL;
  }
  close(fd);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"tunOpen", NULL, tun_open, NULL, NULL, NULL, napi_default, NULL},
      {"tunRead", NULL, tun_read, NULL, NULL, NULL, napi_default, NULL},
      {"tunWrite", NULL, tun_write, NULL, NULL, NULL, napi_default, NULL},
      {"tunWriteSlots", NULL, tun_write_slots, NULL, NULL, NULL, napi_default, NULL},
      {"tunPending", NULL, tun_pending, NULL, NULL, NULL, napi_default, NULL},
      {"tunStats", NULL, tun_stats, NULL, NULL, NULL, napi_default, NULL},
      {"udpOpen", NULL, udp_open, NULL, NULL, NULL, napi_default, NULL},
      {"udpSetMark", NULL, udp_set_mark, NULL, NULL, NULL, napi_default, NULL},
      {"udpRecv", NULL, udp_recv, NULL, NULL, NULL, napi_default, NULL},
      {"udpPending", NULL, udp_pending, NULL, NULL, NULL, napi_default, NULL},
      {"udpSend", NULL, udp_send, NULL, NULL, NULL, napi_default, NULL},
      {"udpSendSlots", NULL, udp_send_slots, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_fd, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, watch, NULL, NULL, NULL, napi_default, NULL},
      {"unwatch", NULL, unwatch, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
