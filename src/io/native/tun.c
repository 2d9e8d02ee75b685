// The TUN device: create or attach (IFF_TUN | IFF_NO_PI, non-blocking), batched reads into
// caller-given slots, writes from wherever the packets are.
//
// With offloads (IFF_VNET_HDR + TUNSETOFFLOAD), every packet crosses with a virtio_net_hdr:
//   - reads may be TCP super-packets of up to 64 KiB (TSO): one read replaces dozens, and they
//     are cut here into MTU-sized packets in consecutive slots, so the layers above see the same
//     packets as without offloads. A super-packet that does not fit the batch's remaining slots
//     stays pending: the next read continues it (tunPending says so).
//   - checksums may be left partial (TUN_F_CSUM): completed here.
//   - writes coalesce consecutive segments of one TCP flow into one super-packet (GRO), so the
//     kernel's stack handles dozens of segments as one.
// The handle JavaScript holds is an External owning this state; the descriptor is closed by
// close(fd) as every other.

#include "io_common.h"  // first: it defines _GNU_SOURCE for the system headers

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "offload.h"

#define MAX_IP_PACKET 65535
#define OPEN_GROUPS 8
#define WRITE_CHUNK 256

typedef struct {
  int fd;
  int vnet;           // IFF_VNET_HDR: a virtio_net_hdr before every packet, both ways
  uint8_t* super;     // the TCP super-packet being segmented (MAX_IP_PACKET bytes)
  tso_plan_t plan;
  uint32_t next_segment, segments;  // pending while next_segment < segments
  // Counters: packets read that could not be used (malformed, a GSO kind not asked for);
  // super-packets read and the segments cut from them; coalesced writes and what they held.
  double dropped, super_packets, segments_cut, coalesced_writes, coalesced_packets;
} tun_t;

static void finalize_tun(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  tun_t* tun = data;
  free(tun->super);
  free(tun);
}

// TUNSETOFFLOAD: TCP segmentation both families (with ECN) and partial checksums. Returns 1 if
// the kernel took them.
static int enable_offloads(int fd) {
  return ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN) == 0;
}

static int set_interface(int fd, const char* name, size_t name_length, int vnet, struct ifreq* request) {
  memset(request, 0, sizeof *request);
  request->ifr_flags = (short)(IFF_TUN | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0));
  memcpy(request->ifr_name, name, name_length < IFNAMSIZ ? name_length : IFNAMSIZ - 1);
  return ioctl(fd, TUNSETIFF, request);
}

// tunOpen(name, offload) → [fd, name, handle, offloaded]: creates (or attaches to) TUN interface
// `name` ("" lets the kernel choose), non-blocking; with `offload`, asks for TSO and checksum
// offload and reports whether the kernel granted them (if not, plain packets, as without).
napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char name[IFNAMSIZ] = {0};
  size_t name_length = 0;
  bool offload = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_length));
  if (argc >= 2) CHECK(napi_get_value_bool(env, argv[1], &offload));
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    return throw_errno(env, error, "cannot open /dev/net/tun",
                       error == ENOENT ? "the tun driver is missing: load it with `modprobe tun`" : permission_hint(error));
  }
  struct ifreq request;
  int vnet = offload && set_interface(fd, name, name_length, 1, &request) == 0;
  if (vnet && !enable_offloads(fd)) {
    // A virtio header without offloads only costs: start again without it.
    close(fd);
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    vnet = 0;
  }
  if (!vnet && (fd < 0 || set_interface(fd, name, name_length, 0, &request) < 0)) {
    int error = errno;
    if (fd >= 0) close(fd);
    return throw_errno(env, error, "cannot create the TUN interface", error == EBUSY ? "an interface with that name exists and is not a free TUN device" : permission_hint(error));
  }
  tun_t* tun = calloc(1, sizeof *tun);
  if (tun != NULL && vnet) tun->super = malloc(MAX_IP_PACKET);
  if (tun == NULL || (vnet && tun->super == NULL)) {
    close(fd);
    if (tun != NULL) free(tun);
    return throw_errno(env, ENOMEM, "cannot set up the TUN interface", NULL);
  }
  tun->fd = fd;
  tun->vnet = vnet;
  napi_value result, name_value, handle, offloaded;
  napi_create_array_with_length(env, 4, &result);
  napi_create_string_utf8(env, request.ifr_name, NAPI_AUTO_LENGTH, &name_value);
  napi_create_external(env, tun, finalize_tun, NULL, &handle);
  napi_get_boolean(env, vnet, &offloaded);
  napi_set_element(env, result, 0, number(env, fd));
  napi_set_element(env, result, 1, name_value);
  napi_set_element(env, result, 2, handle);
  napi_set_element(env, result, 3, offloaded);
  return result;
}

// One read into `slot`: the packet's length, 0 when it was unusable (counted) or became a
// pending super-packet, −errno on failure (EAGAIN: nothing waiting).
static ssize_t read_one(tun_t* tun, uint8_t* slot, uint32_t max_length) {
  if (!tun->vnet) {
    ssize_t n = read(tun->fd, slot, max_length);
    return n < 0 ? -errno : n;
  }
  // Into our own buffer, not the slot: a super-packet is cut into the slots from there, and
  // reading 64 KiB into each slot in turn would make every slot's pages resident.
  struct virtio_net_hdr header;
  struct iovec parts[2] = {{&header, VNET_HDR_BYTES}, {tun->super, MAX_IP_PACKET}};
  ssize_t n = readv(tun->fd, parts, 2);
  if (n < 0) return -errno;
  if ((size_t)n < VNET_HDR_BYTES) {
    tun->dropped++;
    return 0;
  }
  size_t length = (size_t)n - VNET_HDR_BYTES;
  if (header.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
    if ((header.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0 && !complete_checksum(tun->super, length, header.csum_start, header.csum_offset)) {
      tun->dropped++;
      return 0;
    }
    if (length > max_length) length = max_length;  // cut, as read(2) on a TUN cuts
    memcpy(slot, tun->super, length);
    return (ssize_t)length;
  }
  if (!tso_plan(tun->super, length, &header, &tun->plan) || (size_t)tun->plan.headers + tun->plan.mss > max_length) {
    tun->dropped++;
    return 0;
  }
  tun->next_segment = 0;
  tun->segments = (tun->plan.payload + tun->plan.mss - 1) / tun->plan.mss;
  tun->super_packets++;
  tun->segments_cut += tun->segments;
  return 0;
}

// tunRead(handle, buffer, byteOffset, stride, count, maxLength, lengths) → packets read. Packet
// i lands at byteOffset + i * stride; its length goes to lengths[i]. Stops at the first EAGAIN.
// Returns −errno when the very first read fails otherwise (the interface was deleted: EBADFD,
// EIO), so the caller can shut down instead of spinning on a dead descriptor.
napi_value tun_read(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  batch_args_t batch;
  static const char usage[] = "tunRead(handle, buffer, byteOffset, stride, count, maxLength, lengths)";
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tun_t* tun = argc < 1 ? NULL : get_handle(env, argv[0], usage);
  if (tun == NULL) {
    if (argc < 1) napi_throw_error(env, "EINVAL", usage);
    return NULL;
  }
  if (!get_batch_slots(env, argv + 1, argc - 1, usage, &batch)) return NULL;
  uint32_t count = 0;
  int reads = 0;
  while (count < batch.count) {
    uint8_t* slot = batch.data + batch.offset + (size_t)batch.stride * count;
    if (tun->next_segment < tun->segments) {
      batch.lengths[count++] = (uint32_t)tso_segment(tun->super, &tun->plan, tun->next_segment++, slot);
      continue;
    }
    ssize_t n = read_one(tun, slot, batch.max_length);
    if (n < 0) {
      if (count == 0 && reads == 0 && n != -EAGAIN && n != -EWOULDBLOCK && n != -EINTR) return number(env, n);
      break;
    }
    reads++;
    if (n > 0) batch.lengths[count++] = (uint32_t)n;
  }
  return number(env, count);
}

// tunPending(handle) → whether segments of a super-packet wait for the next tunRead (which
// needs no readiness: call it again soon).
napi_value tun_pending(napi_env env, napi_callback_info info) {
  napi_value result;
  tun_t* tun = get_only_handle(env, info, "tunPending(handle)");
  if (tun == NULL) return NULL;
  napi_get_boolean(env, tun->next_segment < tun->segments, &result);
  return result;
}

// tunStats(handle) → [dropped, superPackets, segmentsCut, coalescedWrites, coalescedPackets]:
// what the offloads did so far (see tun_t).
napi_value tun_stats(napi_env env, napi_callback_info info) {
  napi_value result;
  tun_t* tun = get_only_handle(env, info, "tunStats(handle)");
  if (tun == NULL) return NULL;
  const double values[] = {tun->dropped, tun->super_packets, tun->segments_cut, tun->coalesced_writes, tun->coalesced_packets};
  napi_create_array_with_length(env, 5, &result);
  for (uint32_t i = 0; i < 5; i++) {
    napi_value value;
    napi_create_double(env, values[i], &value);
    napi_set_element(env, result, i, value);
  }
  return result;
}

// Coalescing (GRO) on write: open groups of segments of one flow each, linked through `next`.
typedef struct {
  int32_t first, last;
  tcp_segment_t info;  // of the first
  uint32_t payload, expected_seq;
  uint16_t mss;
  int push;
  uint32_t packets;
} group_t;

typedef struct {
  tun_t* tun;
  uint8_t** bytes;
  size_t* lengths;
  int32_t* next;
  group_t groups[OPEN_GROUPS];
  int open;
  uint32_t written;
} writer_t;

static void write_plain(writer_t* w, int32_t index) {
  static const struct virtio_net_hdr none;  // no offload: the kernel checks the checksums
  struct iovec parts[2] = {{(void*)&none, VNET_HDR_BYTES}, {w->bytes[index], w->lengths[index]}};
  if (writev(w->tun->fd, parts, 2) == (ssize_t)(VNET_HDR_BYTES + w->lengths[index])) w->written++;
}

static void flush_group(writer_t* w, int position) {
  group_t* group = &w->groups[position];
  if (group->packets == 1) {
    write_plain(w, group->first);
  } else {
    struct virtio_net_hdr header;
    struct iovec parts[WRITE_CHUNK + 1];
    tcp_coalesced_header(w->bytes[group->first], &group->info, group->payload, group->mss, group->push, &header);
    parts[0].iov_base = &header;
    parts[0].iov_len = VNET_HDR_BYTES;
    size_t total = VNET_HDR_BYTES, count = 1;
    for (int32_t i = group->first; i >= 0; i = w->next[i]) {
      size_t skip = i == group->first ? 0 : group->info.headers;  // later segments add their payload
      parts[count].iov_base = w->bytes[i] + skip;
      parts[count].iov_len = w->lengths[i] - skip;
      total += parts[count].iov_len;
      count++;
    }
    if (writev(w->tun->fd, parts, (int)count) == (ssize_t)total) {
      w->written += group->packets;
      w->tun->coalesced_writes++;
      w->tun->coalesced_packets += group->packets;
    }
  }
  w->groups[position] = w->groups[--w->open];  // order among flows does not matter
}

static void flush_all(writer_t* w) {
  // Oldest first is not needed for correctness (groups are of different flows).
  while (w->open > 0) flush_group(w, w->open - 1);
}

static void coalesce(writer_t* w, int32_t index) {
  tcp_segment_t segment;
  uint8_t* packet = w->bytes[index];
  tcp_segment_read(packet, w->lengths[index], &segment);
  if (!segment.eligible) {
    // Could belong to an open group's flow (a FIN, a bare ACK): keep every flow in order.
    flush_all(w);
    write_plain(w, index);
    return;
  }
  for (int g = 0; g < w->open; g++) {
    group_t* group = &w->groups[g];
    if (segment.payload > group->mss || (size_t)group->info.headers + group->payload + segment.payload > MAX_IP_PACKET ||
        !tcp_segment_follows(w->bytes[group->first], &group->info, packet, &segment, group->expected_seq)) {
      continue;
    }
    w->next[group->last] = index;
    group->last = index;
    group->payload += segment.payload;
    group->expected_seq += segment.payload;
    group->packets++;
    group->push = segment.push;
    // A short segment or a push ends the super-packet (all but the last must be mss long).
    if (segment.payload < group->mss || segment.push) flush_group(w, g);
    return;
  }
  // A new group. Another of the same flow that this does not continue (a retransmission) goes
  // out first, keeping the flow's order.
  for (int g = w->open - 1; g >= 0; g--) {
    const uint8_t* first = w->bytes[w->groups[g].first];
    if (w->groups[g].info.version == segment.version &&
        memcmp(first + (segment.version == 4 ? 12 : 8), packet + (segment.version == 4 ? 12 : 8), segment.version == 4 ? 8 : 32) == 0 &&
        memcmp(first + segment.ip_header, packet + segment.ip_header, 4) == 0) {
      flush_group(w, g);
    }
  }
  if (w->open == OPEN_GROUPS) flush_group(w, 0);
  group_t* group = &w->groups[w->open++];
  group->first = group->last = index;
  group->info = segment;
  group->payload = segment.payload;
  group->expected_seq = segment.seq + segment.payload;
  group->mss = (uint16_t)segment.payload;
  group->push = segment.push;
  group->packets = 1;
  if (segment.push) flush_group(w, w->open - 1);
}

// Writes `count` packets (at most WRITE_CHUNK); returns how many the kernel took. A packet the
// kernel refuses (for example malformed) is skipped, not fatal. With offloads, the headers of
// packets that were coalesced are rewritten in place (the caller is done with them).
static uint32_t write_packets(tun_t* tun, uint8_t** bytes, size_t* lengths, int32_t count) {
  int32_t next[WRITE_CHUNK];
  writer_t writer = {.tun = tun, .bytes = bytes, .lengths = lengths, .next = next, .open = 0, .written = 0};
  for (int32_t i = 0; i < count; i++) {
    next[i] = -1;
    if (!tun->vnet) {
      if (write(tun->fd, bytes[i], lengths[i]) == (ssize_t)lengths[i]) writer.written++;
    } else {
      coalesce(&writer, i);
    }
  }
  flush_all(&writer);
  return writer.written;
}

// tunWrite(handle, packets: Uint8Array[] (at most 256)) → packets written (see write_packets).
napi_value tun_write(napi_env env, napi_callback_info info) {
  static const char usage[] = "tunWrite(handle, packets (at most 256))";
  size_t argc = 2;
  napi_value argv[2];
  uint8_t* bytes[WRITE_CHUNK];
  size_t lengths[WRITE_CHUNK];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tun_t* tun = argc < 2 ? NULL : get_handle(env, argv[0], usage);
  if (tun == NULL) {
    if (argc < 2) napi_throw_error(env, "EINVAL", usage);
    return NULL;
  }
  int count = gather_views(env, argv[1], WRITE_CHUNK, bytes, lengths, usage);
  return count < 0 ? NULL : number(env, write_packets(tun, bytes, lengths, count));
}

// tunWriteSlots(handle, buffer, offsets: Uint32Array, lengths: Uint32Array, count): the same for
// packets given by place (lengths[i] bytes at offsets[i] of buffer), so the caller makes no view
// per packet.
napi_value tun_write_slots(napi_env env, napi_callback_info info) {
  static const char usage[] = "tunWriteSlots(handle, buffer, offsets, lengths, count (at most 256))";
  size_t argc = 5;
  napi_value argv[5];
  uint8_t* bytes[WRITE_CHUNK];
  size_t lengths[WRITE_CHUNK];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tun_t* tun = argc < 5 ? NULL : get_handle(env, argv[0], usage);
  if (tun == NULL) {
    if (argc < 5) napi_throw_error(env, "EINVAL", usage);
    return NULL;
  }
  int count = gather_slots(env, argv + 1, WRITE_CHUNK, bytes, lengths, usage);
  return count < 0 ? NULL : number(env, write_packets(tun, bytes, lengths, count));
}
