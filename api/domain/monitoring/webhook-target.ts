import { BlockList, isIP } from 'node:net';

/** Where tenant webhooks may point. Built from the configuration by the composition root. */
export interface WebhookPolicy {
  /** Permit loopback, private, link-local and other internal addresses (local testing only). */
  allowPrivate: boolean;
  /** Only https URLs (AWS mode: alerts leave the VPC). */
  requireHttps: boolean;
}

type Subnet = readonly [address: string, prefix: number];

/**
 * Address ranges a webhook must not reach by default: a tenant-chosen URL would otherwise let the server
 * call its own admin ports, the cloud metadata service (169.254.169.254) or anything on the private network.
 * These are the IANA special-purpose ranges that are not globally reachable, in the order they are checked
 * (so '::' is "unspecified", not "reserved"), named as the refusal names them.
 */
const INTERNAL: { label: string; v4?: Subnet[]; v6?: Subnet[] }[] = [
  { label: 'unspecified', v4: [['0.0.0.0', 8]], v6: [['::', 128]] },
  { label: 'loopback', v4: [['127.0.0.0', 8]], v6: [['::1', 128]] },
  {
    label: 'private', // RFC 1918
    v4: [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
    ],
  },
  { label: 'unique-local', v6: [['fc00::', 7]] },
  { label: 'carrier-grade NAT', v4: [['100.64.0.0', 10]] },
  { label: 'link-local', v4: [['169.254.0.0', 16]], v6: [['fe80::', 10]] },
  { label: 'multicast', v4: [['224.0.0.0', 4]], v6: [['ff00::', 8]] },
  {
    label: 'reserved',
    v4: [
      ['192.0.0.0', 24],
      ['192.0.2.0', 24],
      ['192.88.99.0', 24],
      ['198.18.0.0', 15],
      ['198.51.100.0', 24],
      ['203.0.113.0', 24],
      ['240.0.0.0', 4],
    ],
    v6: [
      ['::', 96], // IPv4-compatible (deprecated)
      ['64:ff9b:1::', 48], // local-use NAT64
      ['100::', 64], // discard
      ['2001:db8::', 32], // documentation
      ['fec0::', 10], // site-local (deprecated)
    ],
  },
];

/** Each IPv4 range is also blocked in its IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) forms. */
const RANGES: { label: string; list: BlockList }[] = INTERNAL.map(({ label, v4 = [], v6 = [] }) => {
  const list = new BlockList();
  for (const [address, prefix] of v4) {
    list.addSubnet(address, prefix, 'ipv4');
    list.addSubnet(`::ffff:${address}`, 96 + prefix, 'ipv6');
    list.addSubnet(`64:ff9b::${address}`, 96 + prefix, 'ipv6');
  }
  for (const [address, prefix] of v6) list.addSubnet(address, prefix, 'ipv6');
  return { label, list };
});

/** The kind of internal range an IP address is in, or undefined for a public address (or a non-IP). */
export function internalRangeOf(ip: string): string | undefined {
  const bare = ip.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) is not part of the address
  const family = isIP(bare);
  if (family === 0) return undefined;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return RANGES.find((r) => r.list.check(bare, type))?.label;
}

/** The host of a URL as an address or name: IPv6 literals lose their brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** RFC 6761: these names always mean this host. */
function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

/**
 * What is wrong with a webhook URL before any DNS lookup: its scheme, credentials, or a host that is
 * literally internal (an IP in an internal range, in any spelling the URL parser accepts, or localhost).
 * Names are resolved and checked again at send time. Returns undefined when the URL may be used.
 */
export function webhookUrlProblem(raw: string, policy: WebhookPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (policy.requireHttps && url.protocol !== 'https:') return 'must use https';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
  if (url.username || url.password)
    return 'must not carry credentials (receivers check the signature instead)';
  if (policy.allowPrivate) return undefined;
  const host = hostOf(url);
  const range = isIP(host) ? internalRangeOf(host) : isLocalhostName(host) ? 'loopback' : undefined;
  if (range) return `must not point at an internal address (${host} is ${range})`;
  return undefined;
}
