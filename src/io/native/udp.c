// UDP sockets for WireGuard: one per address family on the same port, large buffers, an
// optional fwmark, recvmmsg into caller-given slots (with UDP GRO) and sendmmsg (with UDP GSO)
// from wherever datagrams are.

#include "io_common.h"  // first: it defines _GNU_SOURCE for the system headers

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

// UDP GRO (UDP_GRO): the kernel hands over consecutive equal-size datagrams of one sender as
// one message of up to 64 KiB, with the datagram size in a control message — one trip through
// the stack instead of dozens. Such messages land in the socket's own buffers first and are
// cut into the caller's slots from there; what does not fit the batch stays for the next call
// (udpPending says so).
#define GRO_MESSAGES 8
#define GRO_MESSAGE_BYTES 65536

typedef struct {
  int fd;
  int gro;
  uint8_t* scratch;  // GRO_MESSAGES × GRO_MESSAGE_BYTES (allocated only with GRO)
  uint32_t lengths[GRO_MESSAGES];
  uint32_t segment_sizes[GRO_MESSAGES];  // the datagram size of each message (its length if one)
  uint8_t sources[GRO_MESSAGES][ADDRESS_RECORD_BYTES];
  uint32_t messages, message, offset;  // pending: message < messages; offset into it
} udp_t;

static void finalize_udp(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  udp_t* udp = data;
  free(udp->scratch);
  free(udp);
}

// udpOpen(family, port, fwmark, gro) → [fd, boundPort, handle, groOn]: a non-blocking UDP
// socket on the wildcard address (IPv6 sockets are IPv6-only; the caller opens one per family),
// large buffers, SO_MARK when fwmark is non-zero, and UDP GRO when asked and the kernel has it.
napi_value udp_open(napi_env env, napi_callback_info info);

// udpSetMark(fd, fwmark): SO_MARK on an open socket (0 clears it), so `wg set <if> fwmark N`
// changes a running interface's mark without giving its port up, as wireguard-go does.
napi_value udp_set_mark(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  uint32_t fwmark;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !get_int(env, argv[0], &fd) || !get_u32(env, argv[1], &fwmark) || fd < 0) {
    napi_throw_error(env, "EINVAL", "udpSetMark(fd, fwmark)");
    return NULL;
  }
  if (setsockopt(fd, SOL_SOCKET, SO_MARK, &fwmark, sizeof fwmark) < 0) {
    int error = errno;
    return throw_errno(env, error, "cannot set the socket's fwmark", permission_hint(error));
  }
  return NULL;
}

napi_value udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t family;
  uint32_t port, fwmark;
  bool gro = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !get_int(env, argv[0], &family) || !get_u32(env, argv[1], &port) || !get_u32(env, argv[2], &fwmark) ||
      (family != 4 && family != 6) || port > 65535 || (argc >= 4 && napi_get_value_bool(env, argv[3], &gro) != napi_ok)) {
    napi_throw_error(env, "EINVAL", "udpOpen(family 4|6, port 0..65535, fwmark, gro)");
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
  udp_t* udp = calloc(1, sizeof *udp);
  if (udp == NULL) {
    close(fd);
    return throw_errno(env, ENOMEM, "cannot set up the UDP socket", NULL);
  }
  udp->fd = fd;
  if (gro) {
    udp->scratch = malloc((size_t)GRO_MESSAGES * GRO_MESSAGE_BYTES);  // pages become resident only when used
    udp->gro = udp->scratch != NULL && setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
  }
  napi_value result, handle, gro_on;
  napi_create_array_with_length(env, 4, &result);
  napi_create_external(env, udp, finalize_udp, NULL, &handle);
  napi_get_boolean(env, udp->gro, &gro_on);
  napi_set_element(env, result, 0, number(env, fd));
  napi_set_element(env, result, 1, number(env, bound));
  napi_set_element(env, result, 2, handle);
  napi_set_element(env, result, 3, gro_on);
  return result;
}

// One recvmmsg of up to GRO_MESSAGES messages into the socket's buffers, with each message's
// datagram size. Returns how many.
static int receive_coalesced(udp_t* udp) {
  struct mmsghdr messages[GRO_MESSAGES];
  struct iovec vectors[GRO_MESSAGES];
  struct sockaddr_storage addresses[GRO_MESSAGES];
  char control[GRO_MESSAGES][CMSG_SPACE(sizeof(int))];
  memset(messages, 0, sizeof messages);
  for (int i = 0; i < GRO_MESSAGES; i++) {
    vectors[i].iov_base = udp->scratch + (size_t)i * GRO_MESSAGE_BYTES;
    vectors[i].iov_len = GRO_MESSAGE_BYTES;
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &addresses[i];
    messages[i].msg_hdr.msg_namelen = sizeof addresses[i];
    messages[i].msg_hdr.msg_control = control[i];
    messages[i].msg_hdr.msg_controllen = sizeof control[i];
  }
  int received = recvmmsg(udp->fd, messages, GRO_MESSAGES, MSG_DONTWAIT, NULL);
  if (received < 0) return 0;  // EAGAIN and transient errors (ICMP errors on the socket)
  for (int i = 0; i < received; i++) {
    udp->lengths[i] = messages[i].msg_len;
    udp->segment_sizes[i] = messages[i].msg_len;
    for (struct cmsghdr* header = CMSG_FIRSTHDR(&messages[i].msg_hdr); header != NULL; header = CMSG_NXTHDR(&messages[i].msg_hdr, header)) {
      int size;
      if (header->cmsg_level != SOL_UDP || header->cmsg_type != UDP_GRO) continue;
      memcpy(&size, CMSG_DATA(header), sizeof size);
      if (size > 0) udp->segment_sizes[i] = (uint32_t)size;
    }
    decode_sockaddr(&addresses[i], udp->sources[i]);
  }
  udp->messages = (uint32_t)received;
  udp->message = 0;
  udp->offset = 0;
  return received;
}

// Cuts the datagrams of received messages into the slots, from where the last call stopped.
static uint32_t receive_with_gro(udp_t* udp, batch_args_t* batch, uint8_t* sources) {
  uint32_t count = 0;
  int received = 0;
  while (count < batch->count) {
    if (udp->message >= udp->messages) {
      if (received || receive_coalesced(udp) == 0) break;  // one system call per batch, as without GRO
      received = 1;
      continue;
    }
    uint32_t length = udp->lengths[udp->message];
    uint32_t size = udp->segment_sizes[udp->message];
    if (size > length - udp->offset) size = length - udp->offset;
    uint8_t* slot = batch->data + batch->offset + (size_t)batch->stride * count;
    memcpy(slot, udp->scratch + (size_t)udp->message * GRO_MESSAGE_BYTES + udp->offset, size < batch->max_length ? size : batch->max_length);
    batch->lengths[count] = size;  // over maxLength: truncated, and the caller can tell
    memcpy(sources + (size_t)count * ADDRESS_RECORD_BYTES, udp->sources[udp->message], ADDRESS_RECORD_BYTES);
    count++;
    udp->offset += size;
    if (udp->offset >= length) {
      udp->message++;
      udp->offset = 0;
    }
  }
  return count;
}

// udpPending(handle) → whether datagrams received with GRO wait for the next udpRecv (which
// needs no readiness: call it again soon).
napi_value udp_pending(napi_env env, napi_callback_info info) {
  napi_value result;
  udp_t* udp = get_only_handle(env, info, "udpPending(handle)");
  if (udp == NULL) return NULL;
  napi_get_boolean(env, udp->message < udp->messages, &result);
  return result;
}

// udpRecv(handle, buffer, byteOffset, stride, count, maxLength, lengths, sources) → datagrams
// read, with one recvmmsg. Datagram i lands at byteOffset + i * stride; sources gets its address
// record. A datagram longer than maxLength is truncated and reported with its full length, so
// the caller can drop it.
napi_value udp_recv(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  batch_args_t batch;
  uint8_t* sources;
  size_t sources_length;
  static const char usage[] = "udpRecv(handle, buffer, byteOffset, stride, count, maxLength, lengths, sources)";
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_t* udp = argc < 1 ? NULL : get_handle(env, argv[0], usage);
  if (udp == NULL) {
    if (argc < 1) napi_throw_error(env, "EINVAL", usage);
    return NULL;
  }
  batch.fd = udp->fd;
  if (!get_batch_slots(env, argv + 1, argc - 1, usage, &batch)) return NULL;
  if (argc < 8 || !get_bytes(env, argv[7], &sources, &sources_length) || sources_length < (size_t)batch.count * ADDRESS_RECORD_BYTES) {
    napi_throw_error(env, "EINVAL", usage);
    return NULL;
  }
  if (udp->gro) return number(env, receive_with_gro(udp, &batch, sources));
  struct mmsghdr messages[MAX_BATCH];
  struct iovec vectors[MAX_BATCH];
  struct sockaddr_storage addresses[MAX_BATCH];
  memset(messages, 0, sizeof(struct mmsghdr) * batch.count);
  for (uint32_t i = 0; i < batch.count; i++) {
    vectors[i].iov_base = batch.data + batch.offset + (size_t)batch.stride * i;
    vectors[i].iov_len = batch.max_length;
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &addresses[i];
    messages[i].msg_hdr.msg_namelen = sizeof addresses[i];
  }
  int received = batch.count == 0 ? 0 : recvmmsg(batch.fd, messages, batch.count, MSG_DONTWAIT | MSG_TRUNC, NULL);
  if (received < 0) received = 0;  // EAGAIN and transient errors (ICMP errors on the socket)
  for (int i = 0; i < received; i++) {
    batch.lengths[i] = messages[i].msg_len;
    decode_sockaddr(&addresses[i], sources + (size_t)i * ADDRESS_RECORD_BYTES);
  }
  return number(env, received);
}

// UDP GSO (UDP_SEGMENT): consecutive datagrams to one destination, all of one size but the
// last (which may be shorter), leave in one message the kernel cuts up as late as it can — one
// trip through the stack for up to GSO_MAX_SEGMENTS datagrams. Off for good once the kernel
// refuses it (no UDP_SEGMENT, or a device without checksum offload: EIO).
#define GSO_MAX_SEGMENTS 64
#define GSO_MAX_BYTES 65000
static int gso_refused;

typedef struct {
  struct mmsghdr messages[MAX_BATCH];
  struct iovec vectors[MAX_BATCH];
  struct sockaddr_storage addresses[MAX_BATCH];
  uint32_t first_datagram[MAX_BATCH];  // of each message
  char control[MAX_BATCH][CMSG_SPACE(sizeof(uint16_t))];
} send_plan_t;

// Messages for datagrams[from..count), grouped for GSO unless `gso` is 0. Returns how many.
static uint32_t plan_messages(send_plan_t* plan, uint8_t** bytes, size_t* lengths, const uint8_t** records, uint32_t from, uint32_t count, int gso) {
  uint32_t messages = 0;
  for (uint32_t i = from; i < count;) {
    struct mmsghdr* message = &plan->messages[messages];
    memset(message, 0, sizeof *message);
    plan->first_datagram[messages] = i;
    size_t size = lengths[i], total = 0;
    uint32_t segments = 0;
    do {
      plan->vectors[i].iov_base = bytes[i];
      plan->vectors[i].iov_len = lengths[i];
      total += lengths[i];
      segments++;
      i++;
    } while (gso && i < count && segments < GSO_MAX_SEGMENTS && lengths[i] <= size && lengths[i - 1] == size && total + lengths[i] <= GSO_MAX_BYTES &&
             memcmp(records[i], records[i - 1], ADDRESS_RECORD_BYTES) == 0);
    message->msg_hdr.msg_iov = &plan->vectors[plan->first_datagram[messages]];
    message->msg_hdr.msg_iovlen = segments;
    message->msg_hdr.msg_name = &plan->addresses[messages];
    message->msg_hdr.msg_namelen = encode_sockaddr(records[plan->first_datagram[messages]], &plan->addresses[messages]);
    if (segments > 1) {
      message->msg_hdr.msg_control = plan->control[messages];
      message->msg_hdr.msg_controllen = sizeof plan->control[messages];
      struct cmsghdr* header = CMSG_FIRSTHDR(&message->msg_hdr);
      header->cmsg_level = SOL_UDP;
      header->cmsg_type = UDP_SEGMENT;
      header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t segment_size = (uint16_t)size;
      memcpy(CMSG_DATA(header), &segment_size, sizeof segment_size);
    }
    messages++;
  }
  return messages;
}

// Hands `count` datagrams to the kernel with sendmmsg (retried past a datagram the kernel
// refuses, e.g. no route), using UDP GSO where it can unless `gso` is false. Returns how many
// were handed over.
static uint32_t send_datagrams(int32_t fd, uint8_t** bytes, size_t* lengths, const uint8_t* destinations, uint32_t count, bool gso) {
  static send_plan_t plan;  // N-API calls come from the one JavaScript thread
  const uint8_t* records[MAX_BATCH];
  for (uint32_t i = 0; i < count; i++) records[i] = destinations + (size_t)i * ADDRESS_RECORD_BYTES;
  uint32_t messages = plan_messages(&plan, bytes, lengths, records, 0, count, gso && !gso_refused);
  uint32_t sent = 0, next = 0;
  while (next < messages) {
    int n = sendmmsg(fd, plan.messages + next, messages - next, MSG_DONTWAIT);
    if (n > 0) {
      for (int m = 0; m < n; m++) sent += (uint32_t)plan.messages[next + m].msg_hdr.msg_iovlen;
      next += (uint32_t)n;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      break;  // socket buffer full: the rest is lost, as on any congested link
    } else if (plan.messages[next].msg_hdr.msg_iovlen > 1 && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP)) {
      gso_refused = 1;  // this kernel or device cannot: from here on, one datagram per message
      messages = plan_messages(&plan, bytes, lengths, records, plan.first_datagram[next], count, 0);
      next = 0;
    } else {
      next++;  // this message failed (unreachable, too big…): skip it, keep the batch
    }
  }
  return sent;
}

// Both send calls: (fd, the datagrams — an array of views, or by place as buffer, offsets,
// lengths, count — , destinations, gso = true).
static napi_value send_call(napi_env env, napi_callback_info info, bool by_place, const char* usage) {
  size_t argc = 7;
  napi_value argv[7];
  int32_t fd;
  uint8_t* bytes[MAX_BATCH];
  size_t lengths[MAX_BATCH];
  uint8_t* destinations;
  size_t destinations_length;
  bool gso = true;
  size_t tail = by_place ? 5 : 2;  // where the destinations are
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc <= tail || !get_int(env, argv[0], &fd)) {
    napi_throw_error(env, "EINVAL", usage);
    return NULL;
  }
  int count = by_place ? gather_slots(env, argv + 1, MAX_BATCH, bytes, lengths, usage) : gather_views(env, argv[1], MAX_BATCH, bytes, lengths, usage);
  if (count < 0) return NULL;
  if (!get_bytes(env, argv[tail], &destinations, &destinations_length) || destinations_length < (size_t)count * ADDRESS_RECORD_BYTES ||
      (argc > tail + 1 && napi_get_value_bool(env, argv[tail + 1], &gso) != napi_ok)) {
    napi_throw_error(env, "EINVAL", usage);
    return NULL;
  }
  return number(env, send_datagrams(fd, bytes, lengths, destinations, (uint32_t)count, gso));
}

// udpSend(fd, datagrams: Uint8Array[], destinations: Uint8Array, gso = true) → datagrams handed
// to the kernel (see send_datagrams).
napi_value udp_send(napi_env env, napi_callback_info info) {
  return send_call(env, info, false, "udpSend(fd, datagrams (at most 128), destinations, gso)");
}

// udpSendSlots(fd, buffer, offsets: Uint32Array, lengths: Uint32Array, count, destinations,
// gso = true): the same for datagrams given by place (lengths[i] bytes at offsets[i] of
// buffer), so the caller makes no view per datagram.
napi_value udp_send_slots(napi_env env, napi_callback_info info) {
  return send_call(env, info, true, "udpSendSlots(fd, buffer, offsets, lengths, count (at most 128), destinations, gso)");
}
