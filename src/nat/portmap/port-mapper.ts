// The port mapper: keeps one UDP mapping of the WireGuard port at the default gateway, so peers
// can reach this node directly through a NAT that would otherwise force a relay.
//
// 1. poll(now, route) at start, whenever the network changes, and at nextDeadline().
// 2. No mapping held (or the route changed): probe every enabled protocol at once — PCP
//    ANNOUNCE, NAT-PMP external address request, SSDP search — none of which creates anything.
//    At once, because a gateway silent on a protocol costs a full timeout: one probe round
//    costs one timeout, not three, and its answers are netcheck's `portMapping` flags.
// 3. Map with the best protocol that answered (PCP, NAT-PMP, UPnP), asking for 7,200 s; if it
//    refuses or goes silent, try the next one that answered.
// 4. Renew at half the granted lifetime with the same protocol, nonce and external port. A
//    renewal that fails ends the mapping and starts over at 2.
// 5. Every 10 minutes re-probe: the answers refresh the flags, and a NAT-PMP/PCP epoch that
//    went backwards (the gateway rebooted and forgot us, RFC 6886 §3.6, RFC 6887 §8.5) or a new
//    public address means map again now. UPnP has no epoch, so its mapping is re-added then
//    (the same call as a renewal), or made afresh if the description moved (router restart).
// 6. stop() returns the deletions to send. A mapping granted after stop() (its request was in
//    flight) is deleted by the poll that got it.
//
// Sans-I/O as far as a request/response protocol allows: time comes in as `now` (monotonic ms),
// randomness from `random`, and every packet goes through the injected transports.

import type { RandomSource } from "../../wireguard/random-source.js";
import type { MapAttempt, MapFailure, MapRequest } from "./grant.js";
import { natPmpEpochLost, type EpochObservation } from "./natpmp.js";
import { mapNatPmp, natPmpDeletion, probeNatPmp, type NatPmpProbe } from "./natpmp-client.js";
import { PCP_NONCE_BYTES, pcpEpochLost } from "./pcp.js";
import { mapPcp, pcpDeletion, probePcp } from "./pcp-client.js";
import {
  PORT_MAP_PROTOCOLS,
  sendDeletions,
  type GatewayRoute,
  type PortMapAnswers,
  type PortMapDeletion,
  type PortMapProblem,
  type PortMapProtocol,
  type PortMapStatus,
  type PortMapTransports,
} from "./port-mapping.js";
import type { UpnpControlPoint } from "./upnp-description.js";
import { describeUpnp, mapUpnp, probeUpnp, upnpDeletion, type UpnpProbe } from "./upnp-client.js";

export const PORT_MAP_LIFETIME_SECONDS = 7200; // what Tailscale asks for; RFC 6886 §3.3 recommends 7200 too
export const PORT_MAP_RECHECK_MS = 10 * 60_000;
// A gateway granting a few seconds would make us renew in a loop; never renew sooner than this.
const MIN_RENEW_DELAY_MS = 5_000;
const DEFAULT_DESCRIPTION = "meshgate";

export interface PortMapperOptions {
  readonly localPort: number; // the WireGuard UDP port
  readonly transports: PortMapTransports;
  readonly random: RandomSource; // PCP nonces, UPnP's alternative port
  // The protocols to use, best first (tests force one); default PCP, NAT-PMP, UPnP.
  readonly protocols?: readonly PortMapProtocol[];
  readonly lifetimeSeconds?: number;
  readonly description?: string; // the UPnP mapping's name in the router's UI
}

export interface PortMapper {
  // Does what is due at `now` for `route` (null: no default gateway) and reports. One poll at a
  // time: a call while one runs gets that one's status. Rejects only for a route that is not
  // IPv4 (a programmer's error).
  poll(now: number, route: GatewayRoute | null): Promise<PortMapStatus>;
  // When poll should run next (monotonic ms); null before the first poll and after stop().
  nextDeadline(): number | null;
  status(): PortMapStatus;
  // Ends the mapper and returns the requests that delete the mapping at the gateway (send them
  // with sendDeletions before exiting). Later polls do nothing.
  stop(): PortMapDeletion[];
}

// A mapping held, with what its renewal and deletion need.
interface Held {
  readonly protocol: PortMapProtocol;
  readonly route: GatewayRoute;
  readonly externalAddress: string;
  readonly externalPort: number;
  readonly expiresAt: number;
  readonly renewAt: number;
  epoch: EpochObservation | null; // NAT-PMP, PCP: the gateway's epoch, last seen
  readonly nonce: Uint8Array | null; // PCP
  readonly upnp: { readonly location: string; readonly control: UpnpControlPoint } | null;
}

interface Probes {
  readonly pcp: EpochObservation | null;
  readonly natpmp: NatPmpProbe | null;
  readonly upnp: UpnpProbe | null;
}

const NOTHING_ANSWERED: PortMapAnswers = { upnp: false, natpmp: false, pcp: false };
const IPV4 = /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/;

export function createPortMapper(options: PortMapperOptions): PortMapper {
  const { localPort, transports, random } = options;
  if (!Number.isInteger(localPort) || localPort < 1 || localPort > 65535) throw new RangeError(`port mapper: local port ${localPort} is not 1..65535`);
  const protocols = options.protocols ?? PORT_MAP_PROTOCOLS;
  const lifetimeSeconds = options.lifetimeSeconds ?? PORT_MAP_LIFETIME_SECONDS;
  const description = options.description ?? DEFAULT_DESCRIPTION;

  let route: GatewayRoute | null = null;
  let held: Held | null = null;
  let answered = NOTHING_ANSWERED;
  let problem: PortMapProblem = { code: "unanswered", message: "the gateway has not been asked yet" };
  let nextCheckAt: number | null = null;
  let running: Promise<PortMapStatus> | null = null;
  let stopped = false;

  const status = (): PortMapStatus =>
    held === null
      ? { mapping: null, problem, answered }
      : { mapping: { protocol: held.protocol, externalEndpoint: { host: held.externalAddress, port: held.externalPort }, expiresAt: held.expiresAt }, problem: null, answered };

  const deletionOf = (mapping: Held): PortMapDeletion => {
    if (mapping.protocol === "pcp") return pcpDeletion(mapping.route, localPort, mapping.nonce!);
    if (mapping.protocol === "natpmp") return natPmpDeletion(mapping.route, localPort);
    return upnpDeletion(mapping.upnp!.control, mapping.externalPort);
  };

  async function probeAll(now: number, at: GatewayRoute): Promise<Probes> {
    const enabled = (protocol: PortMapProtocol): boolean => protocols.includes(protocol);
    const [pcp, natpmp, upnp] = await Promise.all([
      enabled("pcp") ? probePcp(transports, at, now) : null,
      enabled("natpmp") ? probeNatPmp(transports, at, now) : null,
      enabled("upnp") ? probeUpnp(transports, at) : null,
    ]);
    answered = { upnp: upnp !== null, natpmp: natpmp !== null, pcp: pcp !== null };
    return { pcp, natpmp, upnp };
  }

  // One mapping request with `protocol`: afresh (`previous` null, from the probes' answers) or
  // renewing `previous` (same nonce, same external port).
  async function request(protocol: PortMapProtocol, now: number, at: GatewayRoute, previous: Held | null, probes: Probes | null): Promise<{ ok: true; held: Held } | MapFailure> {
    const mapRequest: MapRequest = {
      route: at,
      internalPort: localPort,
      suggestedExternalPort: previous?.externalPort ?? localPort,
      suggestedExternalAddress: previous?.externalAddress ?? null,
      lifetimeSeconds,
      now,
    };
    let attempt: MapAttempt;
    let nonce: Uint8Array | null = null;
    let upnp: Held["upnp"] = null;
    if (protocol === "pcp") {
      nonce = previous?.nonce ?? random.bytes(PCP_NONCE_BYTES);
      attempt = await mapPcp(transports, mapRequest, nonce);
    } else if (protocol === "natpmp") {
      const known = previous?.externalAddress ?? (probes?.natpmp?.externalAddress.ok === true ? probes.natpmp.externalAddress.address : null);
      if (known === null) {
        const reason = probes?.natpmp?.externalAddress;
        return { ok: false, problem: { code: "refused", message: reason !== undefined && !reason.ok ? reason.problem : "NAT-PMP: no public address" } };
      }
      attempt = await mapNatPmp(transports, mapRequest, known);
    } else {
      upnp = previous?.upnp ?? null;
      if (upnp === null) {
        if (probes?.upnp == null) return { ok: false, problem: { code: "failed", message: "UPnP: no SSDP answer" } };
        const described = await describeUpnp(transports, at, probes.upnp);
        if (!described.ok) return described;
        upnp = { location: probes.upnp.location!, control: described.control };
      }
      attempt = await mapUpnp(transports, mapRequest, upnp.control, { description, random });
    }
    if (!attempt.ok) return attempt;
    const { grant } = attempt;
    const lifetimeMs = grant.lifetimeSeconds * 1000;
    return {
      ok: true,
      held: {
        protocol,
        route: at,
        externalAddress: grant.externalAddress,
        externalPort: grant.externalPort,
        expiresAt: now + lifetimeMs,
        renewAt: now + Math.max(MIN_RENEW_DELAY_MS, lifetimeMs / 2),
        epoch: grant.epoch,
        nonce,
        upnp,
      },
    };
  }

  // Keeps a granted mapping, unless stop() came while it was being asked for: then it goes.
  async function keep(granted: Held): Promise<void> {
    if (stopped) {
      await sendDeletions(transports, [deletionOf(granted)]);
      return;
    }
    held = granted;
  }

  async function mapAfresh(now: number, at: GatewayRoute, probes: Probes | null): Promise<void> {
    held = null;
    const answers = probes ?? (await probeAll(now, at));
    nextCheckAt = now + PORT_MAP_RECHECK_MS;
    let last: PortMapProblem | null = null;
    for (const protocol of protocols) {
      if (stopped) return;
      if (!answered[protocol]) continue;
      const result = await request(protocol, now, at, null, answers);
      if (result.ok) return keep(result.held);
      last = result.problem;
    }
    problem = last ?? { code: "unanswered", message: `no ${protocols.map(protocolName).join(", ")} answer from the gateway ${at.gateway}` };
  }

  async function renew(now: number, current: Held): Promise<void> {
    const result = await request(current.protocol, now, current.route, current, null);
    if (result.ok) {
      nextCheckAt = now + PORT_MAP_RECHECK_MS;
      return keep(result.held);
    }
    if (stopped) return;
    await mapAfresh(now, current.route, null);
  }

  async function recheck(now: number, current: Held): Promise<void> {
    const probes = await probeAll(now, current.route);
    nextCheckAt = now + PORT_MAP_RECHECK_MS;
    if (stopped) return;
    if (current.protocol === "upnp") {
      const moved = probes.upnp !== null && probes.upnp.location !== current.upnp!.location;
      return moved ? mapAfresh(now, current.route, probes) : renew(now, current);
    }
    const seen = current.protocol === "pcp" ? probes.pcp : (probes.natpmp?.epoch ?? null);
    if (seen === null || current.epoch === null) return; // silent this once: the renewal will tell
    const lost = current.protocol === "pcp" ? pcpEpochLost(current.epoch, seen) : natPmpEpochLost(current.epoch, seen);
    const natPmpAddress = probes.natpmp?.externalAddress;
    const moved = current.protocol === "natpmp" && natPmpAddress?.ok === true && natPmpAddress.address !== current.externalAddress;
    if (lost || moved) return mapAfresh(now, current.route, probes);
    current.epoch = seen;
  }

  async function run(now: number, at: GatewayRoute | null): Promise<PortMapStatus> {
    if (at === null) {
      route = null;
      held = null;
      answered = NOTHING_ANSWERED;
      problem = { code: "no-gateway", message: "no default IPv4 gateway" };
      nextCheckAt = now + PORT_MAP_RECHECK_MS;
      return status();
    }
    if (!IPV4.test(at.gateway) || !IPV4.test(at.localAddress)) throw new RangeError(`port mapper: the route ${at.localAddress} → ${at.gateway} is not IPv4`);
    if (route === null || route.gateway !== at.gateway || route.localAddress !== at.localAddress) {
      // Another network: what we held was the old gateway's.
      route = at;
      held = null;
      nextCheckAt = null;
    }
    if (held !== null && now >= held.expiresAt) held = null;
    if (held === null) {
      if (nextCheckAt === null || now >= nextCheckAt) await mapAfresh(now, at, null);
    } else if (now >= held.renewAt) {
      await renew(now, held);
    } else if (nextCheckAt !== null && now >= nextCheckAt) {
      await recheck(now, held);
    }
    return status();
  }

  return {
    poll(now, at) {
      if (stopped) return Promise.resolve(status());
      if (running !== null) return running;
      const current = run(now, at).finally(() => {
        running = null;
      });
      running = current;
      return current;
    },
    nextDeadline() {
      if (stopped) return null;
      if (held !== null) return nextCheckAt === null ? held.renewAt : Math.min(held.renewAt, nextCheckAt);
      return nextCheckAt;
    },
    status,
    stop() {
      if (stopped) return [];
      stopped = true;
      const deletions = held === null ? [] : [deletionOf(held)];
      held = null;
      problem = { code: "stopped", message: "the port mapper was stopped" };
      return deletions;
    },
  };
}

function protocolName(protocol: PortMapProtocol): string {
  return protocol === "pcp" ? "PCP" : protocol === "natpmp" ? "NAT-PMP" : "UPnP";
}
