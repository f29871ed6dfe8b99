/**
 * Public list prices of hosted alternatives, for the same monthly volume (docs/cost.md). Each states its
 * source and when it was read; none prices per record and byte the way the AWS stack bills, so each
 * entry says what its figure assumes.
 */
import { GB } from './formulas.js';

export interface Alternative {
  product: string;
  /** USD for the month, or undefined when the volume is past the published price list. */
  cost: number | undefined;
  basis: string;
  source: string;
  read: string;
}

/** Segment Team: $120 a month with 10,000 MTUs, then graduated per-MTU rates. */
export const SEGMENT_TEAM = {
  base: 120,
  included: 10_000,
  tiers: [
    { upTo: 25_000, perMtu: 0.012 },
    { upTo: 100_000, perMtu: 0.011 },
    { upTo: Infinity, perMtu: 0.01 },
  ],
  /** API calls (events) a month each paid MTU allows. */
  callsPerMtu: 250,
};

export function segmentTeamCost(mtus: number): number {
  let cost = SEGMENT_TEAM.base;
  let from = SEGMENT_TEAM.included;
  for (const tier of SEGMENT_TEAM.tiers) {
    if (mtus <= from) break;
    cost += (Math.min(mtus, tier.upTo) - from) * tier.perMtu;
    from = tier.upTo;
  }
  return cost;
}

/** RudderStack Growth: $265 a month for 1M events, published up to 25M events; past that, a quote. */
export const RUDDERSTACK_GROWTH = { perMonth: 265, events: 1e6, publishedUpTo: 25e6 };

/** Tinybird's last per-volume rates (Pro, withdrawn for new plans on 2025-04-29). */
export const TINYBIRD_LEGACY = { writeGb: 0.07, storageGbMonth: 0.34 };

function rudderstackBasis(records: number): string {
  const g = RUDDERSTACK_GROWTH;
  if (records <= g.events) return `$${g.perMonth}/month covers up to 1M events`;
  if (records <= g.publishedUpTo)
    return `published rungs go up to 25M events a month; the stored record gives only the 1M rung's price ($${g.perMonth})`;
  const pro = (records / g.events) * g.perMonth;
  return `$${g.perMonth}/month for 1M events; the published ladder stops at 25M events a month, so ${records.toLocaleString('en-US')} is Enterprise, by quote (at the 1M rung's rate: $${pro.toLocaleString('en-US')}, a ceiling, not an offer)`;
}

export function alternatives(records: number, recordBytes: number, compressionRatio: number): Alternative[] {
  const mtus = Math.ceil(records / SEGMENT_TEAM.callsPerMtu);
  const gb = (records * recordBytes) / GB;
  return [
    {
      product: 'Segment (Team)',
      cost: segmentTeamCost(mtus),
      basis: `bills monthly tracked users, not events: ${records.toLocaleString('en-US')} events need at least ${mtus.toLocaleString('en-US')} MTUs at ${SEGMENT_TEAM.callsPerMtu} calls each; record size does not matter. Business plan: by quote`,
      source:
        'https://getlago.com/docs/templates/hybrid/segment (rate table); https://segment.com/docs/guides/usage-and-billing/mtus-and-throughput/ (250 calls per MTU)',
      read: '2026-12-01, stored copies (undated); segment.com/pricing itself not in the corpus',
    },
    {
      product: 'RudderStack Cloud (Growth)',
      cost: records <= RUDDERSTACK_GROWTH.events ? RUDDERSTACK_GROWTH.perMonth : undefined,
      basis: rudderstackBasis(records),
      source:
        'https://www.rudderstack.com/pricing/ as recorded in https://raw.githubusercontent.com/api-evangelist/rudderstack/refs/heads/main/plans/rudderstack-plans-pricing.yml',
      read: 'pricing page read 2026-08-13 (per that record); pricing page itself not in the corpus',
    },
    {
      product: 'Tinybird',
      cost: gb * TINYBIRD_LEGACY.writeGb + gb * compressionRatio * TINYBIRD_LEGACY.storageGbMonth,
      basis: `current plans are sized in vCPUs (Developer up to 3, SaaS from 4 with 1 TB minimum storage), priced on tinybird.co/pricing, not in the corpus; the figure uses the last per-volume rates ($${TINYBIRD_LEGACY.writeGb}/GB written, $${TINYBIRD_LEGACY.storageGbMonth}/GB-month stored, one month at ${compressionRatio} compression) and leaves out queries`,
      source:
        'https://tinybird.co/docs/support/billing (legacy rates); https://tinybird.co/docs/get-started/migrate-plans (withdrawn 2025-04-29); https://www.tinybird.co/docs/forward/pricing/developer',
      read: '2026-12-01, stored copies',
    },
  ];
}
