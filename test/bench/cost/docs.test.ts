import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { costModel, defaultInputs } from '../../../bench/cost/model.js';
import { PRICES } from '../../../bench/cost/prices.js';
import { renderMarkdown, renderPrices, usd } from '../../../bench/cost/render.js';

/** docs/cost.md quotes the model's tables; a change of price or measurement must be carried there. */
describe('docs/cost.md', () => {
  it('shows the tables the model computes at 200 B and 1 KB, and the current price table', async () => {
    const doc = await readFile(new URL('../../../docs/cost.md', import.meta.url), 'utf8');
    for (const bytes of [200, 1000]) {
      const report = costModel(defaultInputs(1e9, bytes));
      expect(doc).toContain(renderMarkdown(report));
      expect(doc).toContain(usd(report.total));
    }
    expect(doc).toContain(renderPrices());
    expect(doc).toContain(PRICES.asOf);
  });
});
