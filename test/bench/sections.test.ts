import { describe, expect, it } from 'vitest';
import { markedSections, writeSection } from '../../bench/sections.js';

const doc = [
  '# Benchmarks',
  'ingest numbers',
  '<!-- soak:start -->\nsoak v1\n<!-- soak:end -->',
  '<!-- lambda:start -->\nlambda v1\n<!-- lambda:end -->',
].join('\n\n');

describe('BENCHMARKS.md sections', () => {
  it('finds every marked section, markers included, in order', () => {
    expect(markedSections(doc)).toEqual([
      '<!-- soak:start -->\nsoak v1\n<!-- soak:end -->',
      '<!-- lambda:start -->\nlambda v1\n<!-- lambda:end -->',
    ]);
  });

  it('replaces one section and leaves the rest as it was', () => {
    const next = writeSection(doc, 'lambda', '<!-- lambda:start -->\nlambda v2\n<!-- lambda:end -->');
    expect(next).toContain('lambda v2');
    expect(next).not.toContain('lambda v1');
    expect(next).toContain('ingest numbers');
    expect(next).toContain('soak v1');
  });

  it('appends a section the file does not have yet', () => {
    const next = writeSection('# Benchmarks\n', 'lambda', '<!-- lambda:start -->\nx\n<!-- lambda:end -->');
    expect(next).toBe('# Benchmarks\n\n<!-- lambda:start -->\nx\n<!-- lambda:end -->\n');
  });
});
