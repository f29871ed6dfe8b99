import { describe, expect, it } from 'vitest';
import { costModel, defaultInputs, type CostLine } from '../../../bench/cost/model.js';
import { cpuMsPerRequest, MEASURED } from '../../../bench/cost/measured.js';
import { PRICES } from '../../../bench/cost/prices.js';

const line = (lines: CostLine[], service: string, item: RegExp) => {
  const found = lines.find((l) => l.service === service && item.test(l.item));
  if (!found) throw new Error(`no ${service} line matching ${item}`);
  return found;
};

describe('the cost model', () => {
  const small = costModel(defaultInputs(1e9, 200));
  const large = costModel(defaultInputs(1e9, 1000));

  it('adds every line into variable and fixed totals', () => {
    const sum = (fixed: boolean) =>
      small.lines.filter((l) => l.fixed === fixed).reduce((s, l) => s + l.cost, 0);
    expect(small.variable).toBeCloseTo(sum(false), 9);
    expect(small.fixed).toBeCloseTo(sum(true), 9);
    expect(small.total).toBeCloseTo(small.variable + small.fixed, 9);
    expect(small.perMillionVariable).toBeCloseTo(small.variable / 1000, 9);
  });

  it('scales volume-driven costs with the record count and leaves fixed costs alone', () => {
    const double = costModel(defaultInputs(2e9, 200));
    expect(double.fixed).toBeCloseTo(small.fixed, 9);
    // A few lines carry a per-stream part (minute counters, tick logs), so not quite linear.
    expect(double.variable / small.variable).toBeGreaterThan(1.95);
    expect(double.variable / small.variable).toBeLessThanOrEqual(2);
  });

  it('bills Firehose on packed 5 KB increments: 10 million requests of 100 lines of 401 bytes', () => {
    const firehose = line(small.lines, 'Firehose', /^ingestion/);
    const billedBytes = 1e7 * 8 * 5 * 1024;
    expect(firehose.quantity).toBeCloseTo(billedBytes / 2 ** 30, 9);
    expect(firehose.cost).toBeCloseTo((billedBytes / 2 ** 30) * PRICES.firehoseIngestGb.value, 9);
    // One Firehose record per line would bill every 401-byte line as 5 KB.
    expect(small.unpackedFirehose).toBeCloseTo(
      ((1e9 * 5 * 1024) / 2 ** 30) * PRICES.firehoseIngestGb.value,
      6,
    );
    expect(small.unpackedFirehose / firehose.cost).toBeGreaterThan(12);
  });

  it('charges Snowpipe per GB of uncompressed lines at the credit price', () => {
    const snowpipe = line(small.lines, 'Snowflake', /Snowpipe/);
    const gb = (1e9 * (200 + MEASURED.lineOverheadBytes)) / 2 ** 30;
    expect(snowpipe.quantity).toBeCloseTo(gb * PRICES.snowpipeCreditsPerGb.value, 9);
    expect(snowpipe.cost).toBeCloseTo(snowpipe.quantity * PRICES.snowflakeCreditEnterprise.value, 9);
  });

  it('charges the per-file Snowpipe fee instead under the older billing', () => {
    const legacy = costModel({ ...defaultInputs(1e9, 200), snowpipeBilling: 'per-file' });
    const objects = line(legacy.lines, 'Firehose', /objects/).quantity;
    const snowpipe = line(legacy.lines, 'Snowflake', /Snowpipe/);
    expect(snowpipe.quantity).toBeCloseTo((objects * 0.06) / 1000, 9);
    expect(snowpipe.note).toMatch(/compute, not modelled/);
  });

  it('writes a receipt and the minute counters per request, and two idempotency items when keyed', () => {
    const writes = (share: number) =>
      line(costModel({ ...defaultInputs(1e9, 200), idempotentShare: share }).lines, 'DynamoDB', /^writes/)
        .quantity;
    const tick = 730 * 60 * 10 * 2;
    expect(writes(0)).toBe(1e7 * 2 + tick);
    expect(writes(1)).toBe(1e7 * 4 + tick);
  });

  it('prices the Lambda duration from the measured CPU, stretched to 1,024 MB, plus the wait', () => {
    const inputs = defaultInputs(1e9, 200);
    expect(inputs.cpuMsPerRequest).toBeCloseTo(MEASURED.cpuPerRequest[0].cpuMs, 9);
    const duration = line(small.lines, 'Lambda', /^ingest duration/);
    const ms = inputs.cpuMsPerRequest * (1769 / 1024) + inputs.ioWaitMsPerRequest;
    expect(duration.quantity).toBeCloseTo(1e7 * (ms / 1000), 6);
    expect(duration.cost).toBeCloseTo(duration.quantity * PRICES.lambdaArmGbSecond.value, 9);
  });

  it('keeps the warehouse running the whole period by default, at the credit price', () => {
    const warehouse = line(small.lines, 'Snowflake', /warehouse/);
    expect(warehouse.fixed).toBe(true);
    expect(warehouse.cost).toBe(730 * 1 * PRICES.snowflakeCreditEnterprise.value);
    const idle = costModel({ ...defaultInputs(1e9, 200), warehouseActiveShare: 0.25 });
    expect(line(idle.lines, 'Snowflake', /warehouse/).cost).toBe(warehouse.cost / 4);
  });

  it('moves storage to Glacier after the transition and skips it when records expire first', () => {
    expect(large.lines.some((l) => /Glacier transition/.test(l.item))).toBe(true);
    const short = costModel({ ...defaultInputs(1e9, 1000), retentionMonths: 2 });
    expect(short.lines.some((l) => /Glacier/.test(l.item))).toBe(false);
  });

  it('costs more per record at 1 KB than at 200 B, for every volume-driven line but the per-request ones', () => {
    expect(large.variable).toBeGreaterThan(small.variable);
    expect(line(large.lines, 'Lambda', /^ingest requests/).cost).toBe(
      line(small.lines, 'Lambda', /^ingest requests/).cost,
    );
  });
});

describe('measured CPU per request', () => {
  it('returns the measurements at their own body sizes and interpolates between them', () => {
    const points = [
      { records: 100, recordBytes: 1000, bodyBytes: 100_000, cpuMs: 9 },
      { records: 100, recordBytes: 200, bodyBytes: 20_000, cpuMs: 7 },
    ];
    expect(cpuMsPerRequest(20_000, points)).toBeCloseTo(7, 9);
    expect(cpuMsPerRequest(100_000, points)).toBeCloseTo(9, 9);
    expect(cpuMsPerRequest(60_000, points)).toBeCloseTo(8, 9);
    expect(cpuMsPerRequest(180_000, points)).toBeCloseTo(11, 9);
  });

  it('never slopes down, whatever noise the two measurements carry', () => {
    const noisy = [
      { records: 100, recordBytes: 200, bodyBytes: 20_000, cpuMs: 8 },
      { records: 100, recordBytes: 1000, bodyBytes: 100_000, cpuMs: 6 },
    ];
    expect(cpuMsPerRequest(100_000, noisy)).toBe(8);
    expect(cpuMsPerRequest(1_000, noisy)).toBe(8);
  });
});
