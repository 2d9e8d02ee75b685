// TCP segmentation (TSO) and coalescing (GRO) for a TUN with offloads; see offload.h.
//
// Checksums are RFC 1071 sums taken in the machine's byte order (the sum is byte-order
// independent: fold, then convert once). The virtio header's fields are in the machine's order
// too: a TUN uses little-endian virtio headers on little-endian hosts (x86-64, arm64), the only
// ones the appliance runs on.

#include "offload.h"

#include <arpa/inet.h>
#include <string.h>

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80
#define IPPROTO_TCP_NUMBER 6
#define TCP_CHECKSUM_OFFSET 16

static uint16_t load16(const uint8_t* p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t load32(const uint8_t* p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
static void store16(uint8_t* p, uint16_t value) { p[0] = (uint8_t)(value >> 8); p[1] = (uint8_t)value; }
static void store32(uint8_t* p, uint32_t value) { store16(p, (uint16_t)(value >> 16)); store16(p + 2, (uint16_t)value); }

// Adds `length` bytes to a running sum (native-order 32-bit words into 64 bits).
static uint64_t sum_bytes(uint64_t sum, const uint8_t* data, size_t length) {
  while (length >= 8) {
    uint32_t a, b;
    memcpy(&a, data, 4);
    memcpy(&b, data + 4, 4);
    sum += (uint64_t)a + b;
    data += 8;
    length -= 8;
  }
  if (length >= 4) {
    uint32_t a;
    memcpy(&a, data, 4);
    sum += a;
    data += 4;
    length -= 4;
  }
  if (length >= 2) {
    uint16_t a;
    memcpy(&a, data, 2);
    sum += a;
    data += 2;
    length -= 2;
  }
  if (length == 1) {
    uint8_t last[2] = {data[0], 0};
    uint16_t a;
    memcpy(&a, last, 2);
    sum += a;
  }
  return sum;
}

// The folded 16-bit sum, in network order as a number (not complemented).
static uint16_t fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ntohs((uint16_t)sum);
}

// The TCP/UDP pseudo-header of an IP packet whose layer-4 part is `l4_length` bytes.
static uint64_t pseudo_header_sum(const uint8_t* packet, uint8_t version, uint8_t protocol, uint32_t l4_length) {
  uint8_t tail[4] = {0, 0, 0, protocol};
  uint8_t length_bytes[4];
  store32(length_bytes, l4_length);
  uint64_t sum = version == 4 ? sum_bytes(0, packet + 12, 8) : sum_bytes(0, packet + 8, 32);
  return sum_bytes(sum_bytes(sum, tail, 4), length_bytes, 4);
}

static void store_ipv4_checksum(uint8_t* packet, uint16_t header_length) {
  store16(packet + 10, 0);
  store16(packet + 10, (uint16_t)~fold(sum_bytes(0, packet, header_length)));
}

int complete_checksum(uint8_t* packet, size_t length, uint16_t start, uint16_t offset) {
  if ((size_t)start + offset + 2 > length) return 0;
  uint16_t checksum = (uint16_t)~fold(sum_bytes(0, packet + start, length - start));
  store16(packet + start + offset, checksum == 0 ? 0xffff : checksum);  // 0 means "none" to UDP
  return 1;
}

int tso_plan(const uint8_t* packet, size_t length, const struct virtio_net_hdr* header, tso_plan_t* plan) {
  uint8_t gso_type = header->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
  if (length < 40 || header->gso_size == 0) return 0;
  plan->version = packet[0] >> 4;
  if (plan->version == 4 && gso_type == VIRTIO_NET_HDR_GSO_TCPV4) {
    plan->ip_header = (uint16_t)((packet[0] & 0x0f) * 4);
    if (plan->ip_header < 20 || packet[9] != IPPROTO_TCP_NUMBER) return 0;
  } else if (plan->version == 6 && gso_type == VIRTIO_NET_HDR_GSO_TCPV6) {
    plan->ip_header = 40;
    if (length < 60 || packet[6] != IPPROTO_TCP_NUMBER) return 0;  // extension headers: not from our own stack's TSO
  } else {
    return 0;
  }
  if ((size_t)plan->ip_header + 20 > length) return 0;
  uint16_t tcp_header = (uint16_t)((packet[plan->ip_header + 12] >> 4) * 4);
  plan->headers = (uint16_t)(plan->ip_header + tcp_header);
  if (tcp_header < 20 || plan->headers >= length) return 0;
  plan->mss = header->gso_size;
  plan->payload = (uint32_t)(length - plan->headers);
  return 1;
}

size_t tso_segment(const uint8_t* packet, const tso_plan_t* plan, uint32_t index, uint8_t* out) {
  uint32_t start = index * plan->mss;
  if (start >= plan->payload) return 0;
  uint32_t size = plan->payload - start < plan->mss ? plan->payload - start : plan->mss;
  size_t total = (size_t)plan->headers + size;
  memcpy(out, packet, plan->headers);
  memcpy(out + plan->headers, packet + plan->headers + start, size);
  if (plan->version == 4) {
    store16(out + 2, (uint16_t)total);
    store16(out + 4, (uint16_t)(load16(packet + 4) + index));  // as the kernel's own TSO numbers them
    store_ipv4_checksum(out, plan->ip_header);
  } else {
    store16(out + 4, (uint16_t)(total - 40));
  }
  uint8_t* tcp = out + plan->ip_header;
  store32(tcp + 4, load32(packet + plan->ip_header + 4) + start);
  if (start + size < plan->payload) tcp[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);  // only the last ends or pushes
  if (index > 0) tcp[13] &= (uint8_t)~TCP_CWR;                                  // only the first says CWR
  store16(tcp + TCP_CHECKSUM_OFFSET, 0);
  uint32_t l4_length = (uint32_t)(total - plan->ip_header);
  uint64_t sum = sum_bytes(pseudo_header_sum(out, plan->version, IPPROTO_TCP_NUMBER, l4_length), tcp, l4_length);
  store16(tcp + TCP_CHECKSUM_OFFSET, (uint16_t)~fold(sum));
  return total;
}

void tcp_segment_read(const uint8_t* packet, size_t length, tcp_segment_t* out) {
  out->eligible = 0;
  if (length < 40) return;
  out->version = packet[0] >> 4;
  if (out->version == 4) {
    // No options, not a fragment, the length the header says.
    if ((packet[0] & 0x0f) != 5 || packet[9] != IPPROTO_TCP_NUMBER || (load16(packet + 6) & 0x3fff) != 0 || load16(packet + 2) != length) return;
    out->ip_header = 20;
  } else if (out->version == 6) {
    if (length < 60 || packet[6] != IPPROTO_TCP_NUMBER || (size_t)load16(packet + 4) + 40 != length) return;
    out->ip_header = 40;
  } else {
    return;
  }
  const uint8_t* tcp = packet + out->ip_header;
  uint16_t tcp_header = (uint16_t)((tcp[12] >> 4) * 4);
  out->headers = (uint16_t)(out->ip_header + tcp_header);
  if (tcp_header < 20 || out->headers >= length) return;
  uint8_t flags = tcp[13];
  if ((flags & TCP_ACK) == 0 || (flags & (uint8_t)~(TCP_ACK | TCP_PSH)) != 0) return;
  uint32_t l4_length = (uint32_t)(length - out->ip_header);
  // A coalesced packet's checksum is the kernel's to trust: each part must be right.
  if (fold(sum_bytes(pseudo_header_sum(packet, out->version, IPPROTO_TCP_NUMBER, l4_length), tcp, l4_length)) != 0xffff) return;
  out->payload = (uint32_t)(length - out->headers);
  out->seq = load32(tcp + 4);
  out->push = (flags & TCP_PSH) != 0;
  out->eligible = 1;
}

int tcp_segment_follows(const uint8_t* first, const tcp_segment_t* first_info, const uint8_t* next, const tcp_segment_t* next_info,
                        uint32_t expected_seq) {
  if (next_info->version != first_info->version || next_info->headers != first_info->headers || next_info->seq != expected_seq) return 0;
  if (first_info->version == 4) {
    // version/IHL and TOS, DF, TTL, both addresses
    if (memcmp(first, next, 2) != 0 || (first[6] & 0x40) != (next[6] & 0x40) || first[8] != next[8] || memcmp(first + 12, next + 12, 8) != 0) return 0;
  } else {
    // version, traffic class and flow label; hop limit; both addresses
    if (memcmp(first, next, 4) != 0 || first[7] != next[7] || memcmp(first + 8, next + 8, 32) != 0) return 0;
  }
  const uint8_t* a = first + first_info->ip_header;
  const uint8_t* b = next + next_info->ip_header;
  // ports; acknowledgment; window; options (timestamps included: segments of one burst share them)
  return memcmp(a, b, 4) == 0 && memcmp(a + 8, b + 8, 4) == 0 && memcmp(a + 14, b + 14, 2) == 0 &&
         memcmp(a + 20, b + 20, (size_t)first_info->headers - first_info->ip_header - 20) == 0;
}

void tcp_coalesced_header(uint8_t* first, const tcp_segment_t* first_info, uint32_t payload, uint16_t mss, int push,
                          struct virtio_net_hdr* header) {
  uint32_t total = first_info->headers + payload;
  if (first_info->version == 4) {
    store16(first + 2, (uint16_t)total);
    store_ipv4_checksum(first, first_info->ip_header);
  } else {
    store16(first + 4, (uint16_t)(total - 40));
  }
  uint8_t* tcp = first + first_info->ip_header;
  if (push) tcp[13] |= TCP_PSH;
  // The partial checksum the kernel's CHECKSUM_PARTIAL expects: the pseudo-header's, folded.
  store16(tcp + TCP_CHECKSUM_OFFSET, fold(pseudo_header_sum(first, first_info->version, IPPROTO_TCP_NUMBER, total - first_info->ip_header)));
  memset(header, 0, sizeof *header);
  header->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  header->gso_type = first_info->version == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
  header->hdr_len = first_info->headers;
  header->gso_size = mss;
  header->csum_start = first_info->ip_header;
  header->csum_offset = TCP_CHECKSUM_OFFSET;
}
