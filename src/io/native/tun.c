// The TUN device: create or attach (IFF_TUN | IFF_NO_PI, non-blocking), batched reads into
// caller-given slots, writes from wherever the packets are.

#include "io_common.h"  // first: it defines _GNU_SOURCE for the system headers

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

// tunOpen(name) → [fd, name]: creates (or attaches to) TUN interface `name` ("" lets the kernel
// choose), IFF_TUN | IFF_NO_PI, non-blocking.
napi_value tun_open(napi_env env, napi_callback_info info) {
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
napi_value tun_read(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  batch_args_t batch;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (!get_batch_args(env, argv, argc, "tunRead(fd, buffer, byteOffset, stride, count, maxLength, lengths)", &batch)) return NULL;
  uint32_t read_count = 0;
  for (; read_count < batch.count; read_count++) {
    ssize_t n = read(batch.fd, batch.data + batch.offset + (size_t)batch.stride * read_count, batch.max_length);
    if (n < 0) {
      if (read_count == 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return number(env, -errno);
      break;
    }
    batch.lengths[read_count] = (uint32_t)n;
  }
  return number(env, read_count);
}

// tunWrite(fd, packets: Uint8Array[]) → packets written. A packet the kernel refuses (for
// example malformed) is skipped, not fatal.
napi_value tun_write(napi_env env, napi_callback_info info) {
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

