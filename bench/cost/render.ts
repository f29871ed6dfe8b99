import type { Alternative } from './competitors.js';
import type { CostReport } from './model.js';
import { PRICES, type Price } from './prices.js';

export function usd(n: number): string {
  if (n !== 0 && Math.abs(n) < 0.01) return `$${n.toFixed(4)}`;
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function quantity(n: number, unit: string): string {
  const digits = n >= 100 ? 0 : n >= 1 ? 2 : 4;
  return `${n.toLocaleString('en-US', { maximumFractionDigits: digits })} ${unit}`;
}

function describe(r: CostReport): string {
  const i = r.inputs;
  return (
    `${i.records.toLocaleString('en-US')} records of ${i.recordBytes} B, ${i.recordsPerRequest} a request, ` +
    `over ${i.hours} h (${i.streams} streams), us-east-1`
  );
}

/** Notes go below the table, numbered, so that rows stay one short line. */
function notes(r: CostReport): string[] {
  return r.lines.filter((l) => l.note).map((l, n) => `[${n + 1}] ${l.service}, ${l.item}: ${l.note}`);
}

function rows(r: CostReport): string[][] {
  let n = 0;
  return r.lines.map((l) => [
    l.service,
    l.note ? `${l.item} [${++n}]` : l.item,
    quantity(l.quantity, l.unit),
    usd(l.cost),
    l.fixed ? 'fixed' : '',
  ]);
}

function totals(r: CostReport): string[][] {
  return [
    ['', 'volume-driven costs (scale with the record count)', '', usd(r.variable), ''],
    ['', 'fixed costs for the period (time and streams, not volume)', '', usd(r.fixed), 'fixed'],
    ['', `total for ${r.inputs.records.toLocaleString('en-US')} records`, '', usd(r.total), ''],
  ];
}

const HEADER = ['service', 'item', 'quantity', 'cost', ''];

/** A plain-text table for the terminal. */
export function renderText(r: CostReport): string {
  const all = [HEADER, ...rows(r), ...totals(r)];
  const widths = HEADER.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => (c === 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const body = rows(r).map(line);
  return [
    describe(r),
    '',
    line(HEADER),
    rule,
    ...body,
    rule,
    ...totals(r).map(line),
    '',
    ...notes(r),
    `per million records (volume-driven): ${usd(r.perMillionVariable)}`,
    `Firehose ingestion without packing (one record per line, each billed as 5 KB): ${usd(r.unpackedFirehose)} instead of ${usd(r.lines.find((l) => l.service === 'Firehose')?.cost ?? 0)}`,
  ].join('\n');
}

/** The same as a Markdown table (docs/cost.md). */
export function renderMarkdown(r: CostReport): string {
  const md = (row: string[]) => `| ${row.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [
    `${describe(r)}:`,
    '',
    md(HEADER),
    md(['---', '---', '---:', '---:', '---']),
    ...rows(r).map(md),
    ...totals(r).map((row) => md(row.map((c, n) => ((n === 1 || n === 3) && c ? `**${c}**` : c)))),
    '',
    ...notes(r).map((note) => `${note}  `),
    '',
    `Per million records, volume-driven: **${usd(r.perMillionVariable)}**. Firehose ingestion without packing ` +
      `(one record per line, each billed as 5 KB) would be ${usd(r.unpackedFirehose)}.`,
  ].join('\n');
}

/** The hosted alternatives' list prices for the same volume. */
export function renderAlternatives(alts: Alternative[], markdown: boolean): string {
  if (markdown) {
    return [
      '| product | list price for the month | what it assumes | source (read) |',
      '| --- | ---: | --- | --- |',
      ...alts.map(
        (a) =>
          `| ${a.product} | ${a.cost === undefined ? 'by quote' : usd(a.cost)} | ${a.basis} | ${a.source} (${a.read}) |`,
      ),
    ].join('\n');
  }
  return alts
    .map(
      (a) =>
        `${a.product}: ${a.cost === undefined ? 'by quote' : usd(a.cost)}\n  ${a.basis}\n  source: ${a.source} (${a.read})`,
    )
    .join('\n');
}

/** Small prices read better per million units. */
function priceValue(v: number): string {
  return v < 0.001 ? `${Number((v * 1e6).toPrecision(6))} per million` : String(Number(v.toPrecision(6)));
}

/** The dated price table (bench/cost/prices.ts) with each price's source and how it was checked. */
export function renderPrices(): string {
  const entries = (Object.entries(PRICES) as [string, Price | string][]).filter(
    (e): e is [string, Price] => typeof e[1] === 'object',
  );
  return [
    `Prices as of ${PRICES.asOf}, ${PRICES.region}, USD:`,
    '',
    '| price | value | per | source | checked against |',
    '| --- | ---: | --- | --- | --- |',
    ...entries.map(
      ([name, p]) =>
        `| ${name} | ${priceValue(p.value)} | ${p.unit} | ${p.source} | ${p.checked ?? '**not confirmed** in the stored corpus; the known list price'} |`,
    ),
  ].join('\n');
}
