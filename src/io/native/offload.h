// TCP segmentation and coalescing for a TUN with offloads (IFF_VNET_HDR): pure functions over
// packet bytes, no system calls. tun.c uses them to turn the kernel's TCP super-packets into
// MTU-sized packets (TSO, on read) and to merge consecutive segments of a flow into one
// super-packet the kernel's stack takes in one go (GRO, on write).

#ifndef MESHGATE_OFFLOAD_H
#define MESHGATE_OFFLOAD_H

#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>

// The size of the virtio_net_hdr that precedes every packet on a TUN with IFF_VNET_HDR.
#define VNET_HDR_BYTES ((size_t)sizeof(struct virtio_net_hdr))

// A TCP super-packet to cut into segments of `mss` payload bytes each (the last may be
// shorter). Headers are IP (options allowed for IPv4, none for IPv6) then TCP.
typedef struct {
  uint8_t version;        // 4 or 6
  uint16_t ip_header;     // bytes
  uint16_t headers;       // IP + TCP header bytes
  uint16_t mss;           // payload bytes per segment
  uint32_t payload;       // payload bytes in all
} tso_plan_t;

// Checks that `packet` (as the kernel gave it, with its virtio header) is a TCP super-packet we
// can segment and fills the plan. Returns 0 for anything else (dropped by the caller).
int tso_plan(const uint8_t* packet, size_t length, const struct virtio_net_hdr* header, tso_plan_t* plan);

// Writes segment `index` (its payload starts at index * mss) of the super-packet to `out` with
// its own IP and TCP headers and checksums. Returns its length (0 past the end).
size_t tso_segment(const uint8_t* packet, const tso_plan_t* plan, uint32_t index, uint8_t* out);

// Completes the checksum the kernel left partial (VIRTIO_NET_HDR_F_NEEDS_CSUM): the sum from
// `start` to the end goes to start + offset. Returns 0 if those are outside the packet.
int complete_checksum(uint8_t* packet, size_t length, uint16_t start, uint16_t offset);

// What coalescing needs to know of a TCP segment; `eligible` is 0 for anything that must be
// written on its own (not TCP, IP options or extension headers, a fragment, flags other than
// ACK and PSH, no payload, a wrong checksum).
typedef struct {
  int eligible;
  uint8_t version;
  uint16_t ip_header, headers;
  uint32_t payload, seq;
  int push;
} tcp_segment_t;

void tcp_segment_read(const uint8_t* packet, size_t length, tcp_segment_t* out);

// Whether `next` continues the flow of the group whose first packet is `first`: same addresses,
// ports, IP fields, ACK, window and TCP options, and sequence number `expected_seq`.
int tcp_segment_follows(const uint8_t* first, const tcp_segment_t* first_info, const uint8_t* next, const tcp_segment_t* next_info,
                        uint32_t expected_seq);

// Rewrites the first packet's headers for a coalesced group of `payload` bytes (lengths, IPv4
// header checksum, PSH if the last had it, the TCP checksum field as the pseudo-header sum the
// kernel completes) and fills the virtio header that announces it as a TCP super-packet.
void tcp_coalesced_header(uint8_t* first, const tcp_segment_t* first_info, uint32_t payload, uint16_t mss, int push,
                          struct virtio_net_hdr* header);

#endif
