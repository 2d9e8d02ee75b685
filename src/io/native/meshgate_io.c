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

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define MAX_BATCH 128
#define ADDRESS_RECORD_BYTES 20

#define CHECK(call)                                                              \
  do {                                                                           \
    if ((call) != napi_ok) {                                                     \
      napi_throw_error(env, "EINVAL", "meshgate_io: bad arguments to " #call); \
      return NULL;                                                               \
    }                                                                            \
  } while (0)

static napi_value throw_errno(napi_env env, int error, const char* what, const char* hint) {
  char message[512];
  snprintf(message, sizeof message, "%s: %s%s%s", what, strerror(error), hint ? " — " : "", hint ? hint : "");
  napi_value code_value, message_value, error_value;
  napi_create_string_utf8(env, strerrorname_np(error) ? strerrorname_np(error) : "EIO", NAPI_AUTO_LENGTH, &code_value);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value);
  napi_create_error(env, code_value, message_value, &error_value);
  napi_throw(env, error_value);
  return NULL;
}

static const char* permission_hint(int error) {
  if (error == EPERM || error == EACCES) return "this needs CAP_NET_ADMIN: run as root or grant the capability";
  return NULL;
}

static int get_int(napi_env env, napi_value value, int32_t* out) {
  return napi_get_value_int32(env, value, out) == napi_ok;
}

static int get_u32(napi_env env, napi_value value, uint32_t* out) {
  return napi_get_value_uint32(env, value, out) == napi_ok;
}

// The data of an ArrayBuffer.
static int get_arraybuffer(napi_env env, napi_value value, uint8_t** data, size_t* length) {
  void* pointer;
  if (napi_get_arraybuffer_info(env, value, &pointer, length) != napi_ok) return 0;
  *data = pointer;
  return 1;
}

// The bytes a Uint8Array (or any typed array) covers.
static int get_bytes(napi_env env, napi_value value, uint8_t** data, size_t* length) {
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

static napi_value number(napi_env env, int64_t value) {
  napi_value result;
  napi_create_int64(env, value, &result);
  return result;
}

// --- TUN --------------------------------------------------------------------------------

// tunOpen(name) → [fd, name]: creates (or attaches to) TUN interface `name` ("" lets the kernel
// choose), IFF_TUN | IFF_NO_PI, non-blocking.
static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char name[IFNAMSIZ] = {0};
  size_t name_length = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_length));
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    return throw_errno(env, error, "cannot open /dev/net/tun",
                       error == ENOENT ? "the tun driver is missing: load it with `modprobe tun`" : permission_hint(error));
  }
  struct ifreq request;
  memset(&request, 0, sizeof request);
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(request.ifr_name, name, name_length < IFNAMSIZ ? name_length : IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &request) < 0) {
    int error = errno;
    close(fd);
    return throw_errno(env, error, "cannot create the TUN interface", error == EBUSY ? "an interface with that name exists and is not a free TUN device" : permission_hint(error));
  }
  napi_value result, name_value;
  napi_create_array_with_length(env, 2, &result);
  napi_create_string_utf8(env, request.ifr_name, NAPI_AUTO_LENGTH, &name_value);
  napi_set_element(env, result, 0, number(env, fd));
  napi_set_element(env, result, 1, name_value);
  return result;
}

// tunRead(fd, buffer, byteOffset, stride, count, maxLength, lengths) → packets read. Packet i
// lands at byteOffset + i * stride; its length goes to lengths[i]. Stops at the first EAGAIN.
// Returns −errno when the very first read fails otherwise (the interface was deleted: EBADFD,
// EIO), so the caller can shut down instead of spinning on a dead descriptor.
static napi_value tun_read(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  int32_t fd;
  uint32_t offset, stride, count, max_length;
  uint8_t *data, *lengths_data;
  size_t data_length, lengths_length;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7 || !get_int(env, argv[0], &fd) || !get_arraybuffer(env, argv[1], &data, &data_length) ||
      !get_u32(env, argv[2], &offset) || !get_u32(env, argv[3], &stride) || !get_u32(env, argv[4], &count) ||
      !get_u32(env, argv[5], &max_length) || napi_get_typedarray_info(env, argv[6], NULL, &lengths_length, (void**)&lengths_data, NULL, NULL) != napi_ok) {
    napi_throw_error(env, "EINVAL", "tunRead(fd, buffer, byteOffset, stride, count, maxLength, lengths)");
    return NULL;
  }
  if (count > MAX_BATCH || count > lengths_length || (uint64_t)offset + (uint64_t)stride * (count ? count - 1 : 0) + max_length > data_length) {
    napi_throw_range_error(env, "ERANGE", "tunRead: the batch does not fit the buffer");
    return NULL;
  }
  uint32_t* lengths = (uint32_t*)lengths_data;
  uint32_t read_count = 0;
  for (; read_count < count; read_count++) {
    ssize_t n = read(fd, data + offset + (size_t)stride * read_count, max_length);
    if (n < 0) {
      if (read_count == 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return number(env, -errno);
      break;
    }
    lengths[read_count] = (uint32_t)n;
  }
  return number(env, read_count);
}

// tunWrite(fd, packets: Uint8Array[]) → packets written. A packet the kernel refuses (for
// example malformed) is skipped, not fatal.
static napi_value tun_write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  uint32_t count;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !get_int(env, argv[0], &fd) || napi_get_array_length(env, argv[1], &count) != napi_ok) {
    napi_throw_error(env, "EINVAL", "tunWrite(fd, packets)");
    return NULL;
  }
  uint32_t written = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    uint8_t* bytes;
    size_t length;
    if (napi_get_element(env, argv[1], i, &element) != napi_ok || !get_bytes(env, element, &bytes, &length)) continue;
    if (write(fd, bytes, length) == (ssize_t)length) written++;
  }
  return number(env, written);
}

// --- UDP --------------------------------------------------------------------------------

static socklen_t encode_sockaddr(const uint8_t* record, struct sockaddr_storage* out) {
  memset(out, 0, sizeof *out);
  uint16_t port = (uint16_t)((record[2] << 8) | record[3]);
  if (record[0] == 4) {
    struct sockaddr_in* v4 = (struct sockaddr_in*)out;
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    memcpy(&v4->sin_addr, record + 4, 4);
    return sizeof *v4;
  }
  struct sockaddr_in6* v6 = (struct sockaddr_in6*)out;
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(port);
  memcpy(&v6->sin6_addr, record + 4, 16);
  return sizeof *v6;
}

static void decode_sockaddr(const struct sockaddr_storage* address, uint8_t* record) {
  memset(record, 0, ADDRESS_RECORD_BYTES);
  if (address->ss_family == AF_INET) {
    const struct sockaddr_in* v4 = (const struct sockaddr_in*)address;
    record[0] = 4;
    memcpy(record + 2, &v4->sin_port, 2);
    memcpy(record + 4, &v4->sin_addr, 4);
  } else if (address->ss_family == AF_INET6) {
    const struct sockaddr_in6* v6 = (const struct sockaddr_in6*)address;
    record[0] = 6;
    memcpy(record + 2, &v6->sin6_port, 2);
    memcpy(record + 4, &v6->sin6_addr, 16);
  }
}

static void set_buffer_size(int fd, int option, int force_option, int bytes) {
  // FORCE works for CAP_NET_ADMIN beyond rmem_max/wmem_max; otherwise the plain option's cap.
  if (setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof bytes) < 0) setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes);
}

// udpOpen(family, port, fwmark) → [fd, boundPort]: a non-blocking UDP socket on the wildcard
// address (IPv6 sockets are IPv6-only; the caller opens one per family), large buffers, and
// SO_MARK when fwmark is non-zero.
static napi_value udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t family;
  uint32_t port, fwmark;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !get_int(env, argv[0], &family) || !get_u32(env, argv[1], &port) || !get_u32(env, argv[2], &fwmark) ||
      (family != 4 && family != 6) || port > 65535) {
    napi_throw_error(env, "EINVAL", "udpOpen(family 4|6, port 0..65535, fwmark)");
    return NULL;
  }
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "cannot create a UDP socket", NULL);
  int one = 1;
  if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  set_buffer_size(fd, SO_RCVBUF, SO_RCVBUFFORCE, 7 << 20);
  set_buffer_size(fd, SO_SNDBUF, SO_SNDBUFFORCE, 7 << 20);
  if (fwmark != 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &fwmark, sizeof fwmark) < 0) {
    int error = errno;
    close(fd);
    return throw_errno(env, error, "cannot set the socket's fwmark", permission_hint(error));
  }
  struct sockaddr_storage address;
  memset(&address, 0, sizeof address);
  socklen_t length;
  if (family == 4) {
    struct sockaddr_in* v4 = (struct sockaddr_in*)&address;
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    length = sizeof *v4;
  } else {
    struct sockaddr_in6* v6 = (struct sockaddr_in6*)&address;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    length = sizeof *v6;
  }
  if (bind(fd, (struct sockaddr*)&address, length) < 0) {
    int error = errno;
    close(fd);
    return throw_errno(env, error, "cannot bind the UDP port", error == EADDRINUSE ? "another program uses it: pick another ListenPort" : NULL);
  }
  length = sizeof address;
  getsockname(fd, (struct sockaddr*)&address, &length);
  uint16_t bound = ntohs(address.ss_family == AF_INET ? ((struct sockaddr_in*)&address)->sin_port : ((struct sockaddr_in6*)&address)->sin6_port);
  napi_value result;
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, number(env, fd));
  napi_set_element(env, result, 1, number(env, bound));
  return result;
}

// udpRecv(fd, buffer, byteOffset, stride, count, maxLength, lengths, sources) → datagrams read,
// with one recvmmsg. Datagram i lands at byteOffset + i * stride; sources gets its address
// record. A datagram longer than maxLength is truncated and reported with its full length, so
// the caller can drop it.
static napi_value udp_recv(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  int32_t fd;
  uint32_t offset, stride, count, max_length;
  uint8_t *data, *lengths_data, *sources;
  size_t data_length, lengths_length, sources_length;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8 || !get_int(env, argv[0], &fd) || !get_arraybuffer(env, argv[1], &data, &data_length) ||
      !get_u32(env, argv[2], &offset) || !get_u32(env, argv[3], &stride) || !get_u32(env, argv[4], &count) ||
      !get_u32(env, argv[5], &max_length) ||
      napi_get_typedarray_info(env, argv[6], NULL, &lengths_length, (void**)&lengths_data, NULL, NULL) != napi_ok ||
      !get_bytes(env, argv[7], &sources, &sources_length)) {
    napi_throw_error(env, "EINVAL", "udpRecv(fd, buffer, byteOffset, stride, count, maxLength, lengths, sources)");
    return NULL;
  }
  if (count > MAX_BATCH || count > lengths_length || sources_length < (size_t)count * ADDRESS_RECORD_BYTES ||
      (uint64_t)offset + (uint64_t)stride * (count ? count - 1 : 0) + max_length > data_length) {
    napi_throw_range_error(env, "ERANGE", "udpRecv: the batch does not fit the buffers");
    return NULL;
  }
  struct mmsghdr messages[MAX_BATCH];
  struct iovec vectors[MAX_BATCH];
  struct sockaddr_storage addresses[MAX_BATCH];
  memset(messages, 0, sizeof(struct mmsghdr) * count);
  for (uint32_t i = 0; i < count; i++) {
    vectors[i].iov_base = data + offset + (size_t)stride * i;
    vectors[i].iov_len = max_length;
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &addresses[i];
    messages[i].msg_hdr.msg_namelen = sizeof addresses[i];
  }
  int received = count == 0 ? 0 : recvmmsg(fd, messages, count, MSG_DONTWAIT | MSG_TRUNC, NULL);
  if (received < 0) received = 0;  // EAGAIN and transient errors (ICMP errors on the socket)
  uint32_t* lengths = (uint32_t*)lengths_data;
  for (int i = 0; i < received; i++) {
    lengths[i] = messages[i].msg_len;
    decode_sockaddr(&addresses[i], sources + (size_t)i * ADDRESS_RECORD_BYTES);
  }
  return number(env, received);
}

// udpSend(fd, datagrams: Uint8Array[], destinations: Uint8Array) → datagrams handed to the
// kernel, with sendmmsg (retried past a datagram the kernel refuses, e.g. no route).
static napi_value udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd;
  uint32_t count;
  uint8_t* destinations;
  size_t destinations_length;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !get_int(env, argv[0], &fd) || napi_get_array_length(env, argv[1], &count) != napi_ok ||
      !get_bytes(env, argv[2], &destinations, &destinations_length) || count > MAX_BATCH ||
      destinations_length < (size_t)count * ADDRESS_RECORD_BYTES) {
    napi_throw_error(env, "EINVAL", "udpSend(fd, datagrams (at most 128), destinations)");
    return NULL;
  }
  struct mmsghdr messages[MAX_BATCH];
  struct iovec vectors[MAX_BATCH];
  struct sockaddr_storage addresses[MAX_BATCH];
  uint32_t prepared = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    uint8_t* bytes;
    size_t length;
    if (napi_get_element(env, argv[1], i, &element) != napi_ok || !get_bytes(env, element, &bytes, &length)) continue;
    memset(&messages[prepared], 0, sizeof messages[prepared]);
    vectors[prepared].iov_base = bytes;
    vectors[prepared].iov_len = length;
    messages[prepared].msg_hdr.msg_iov = &vectors[prepared];
    messages[prepared].msg_hdr.msg_iovlen = 1;
    messages[prepared].msg_hdr.msg_name = &addresses[prepared];
    messages[prepared].msg_hdr.msg_namelen = encode_sockaddr(destinations + (size_t)i * ADDRESS_RECORD_BYTES, &addresses[prepared]);
    prepared++;
  }
  uint32_t sent = 0, next = 0;
  while (next < prepared) {
    int n = sendmmsg(fd, messages + next, prepared - next, MSG_DONTWAIT);
    if (n > 0) {
      sent += (uint32_t)n;
      next += (uint32_t)n;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      break;  // socket buffer full: the rest is lost, as on any congested link
    } else {
      next++;  // this datagram failed (unreachable, too big…): skip it, keep the batch
    }
  }
  return number(env, sent);
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

// --- readiness --------------------------------------------------------------------------

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
} watcher_t;

static void on_readable(uv_poll_t* handle, int status, int events) {
  (void)status;
  (void)events;
  watcher_t* watcher = handle->data;
  napi_env env = watcher->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, receiver, result;
  napi_get_reference_value(env, watcher->callback, &callback);
  // napi_make_callback needs an object as `this` (undefined makes it fail without calling).
  napi_get_global(env, &receiver);
  if (napi_make_callback(env, watcher->context, receiver, callback, 0, NULL, &result) != napi_ok) {
    // The callback threw: Node reports it as an uncaught exception. Stop polling rather than
    // spin on a descriptor nobody reads.
    uv_poll_stop(&watcher->poll);
  }
  napi_close_handle_scope(env, scope);
}

static void on_closed(uv_handle_t* handle) {
  free(handle->data);
}

static void finalize_watcher(napi_env env, void* data, void* hint) {
  (void)env;
  (void)data;
  (void)hint;
}

// watch(fd, callback) → handle: calls callback (no arguments) whenever fd is readable, until
// unwatch(handle). The callback must read until empty (edge cases are level-triggered anyway).
static napi_value watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !get_int(env, argv[0], &fd)) {
    napi_throw_error(env, "EINVAL", "watch(fd, callback)");
    return NULL;
  }
  uv_loop_t* loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  watcher_t* watcher = calloc(1, sizeof *watcher);
  watcher->env = env;
  watcher->poll.data = watcher;
  napi_value name;
  napi_create_string_utf8(env, "meshgate:io", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &watcher->context);
  napi_create_reference(env, argv[1], 1, &watcher->callback);
  int error = uv_poll_init(loop, &watcher->poll, fd);
  if (error == 0) error = uv_poll_start(&watcher->poll, UV_READABLE, on_readable);
  if (error != 0) {
    napi_delete_reference(env, watcher->callback);
    napi_async_destroy(env, watcher->context);
    free(watcher);
    return throw_errno(env, -error, "cannot watch the descriptor", NULL);
  }
  napi_value handle;
  napi_create_external(env, watcher, finalize_watcher, NULL, &handle);
  return handle;
}

// unwatch(handle): stops the callbacks; the handle must not be used again.
static napi_value unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* data;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_error(env, "EINVAL", "unwatch(handle)");
    return NULL;
  }
  watcher_t* watcher = data;
  if (watcher->callback == NULL) return NULL;
  uv_poll_stop(&watcher->poll);
  napi_delete_reference(env, watcher->callback);
  watcher->callback = NULL;
  napi_async_destroy(env, watcher->context);
  uv_close((uv_handle_t*)&watcher->poll, on_closed);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"tunOpen", NULL, tun_open, NULL, NULL, NULL, napi_default, NULL},
      {"tunRead", NULL, tun_read, NULL, NULL, NULL, napi_default, NULL},
      {"tunWrite", NULL, tun_write, NULL, NULL, NULL, napi_default, NULL},
      {"udpOpen", NULL, udp_open, NULL, NULL, NULL, napi_default, NULL},
      {"udpRecv", NULL, udp_recv, NULL, NULL, NULL, napi_default, NULL},
      {"udpSend", NULL, udp_send, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_fd, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, watch, NULL, NULL, NULL, napi_default, NULL},
      {"unwatch", NULL, unwatch, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
