import { describe, expect, it } from 'vitest';
import { parseCostArgs } from '../../../bench/cost/args.js';
import { defaultInputs } from '../../../bench/cost/model.js';

describe('npm run cost flags', () => {
  it('reads --records in exponent form and --bytes, deriving the measured CPU for that body', () => {
    const parsed = parseCostArgs(['--records', '1e9', '--bytes', '1000']);
    expect(parsed).toEqual({ inputs: defaultInputs(1e9, 1000), format: 'text' });
  });

  it('sets any model input from its kebab-case flag', () => {
    const parsed = parseCostArgs(['--lambda-memory-mb', '512', '--snowpipe', 'per-file', '--format', 'json']);
    if (parsed === 'help') throw new Error('unexpected help');
    expect(parsed.inputs.lambdaMemoryMb).toBe(512);
    expect(parsed.inputs.snowpipeBilling).toBe('per-file');
    expect(parsed.format).toBe('json');
  });

  it('names the flag and the value it refuses', () => {
    expect(() => parseCostArgs(['--bytes', 'abc'])).toThrow('--bytes must be a non-negative number, got abc');
    expect(() => parseCostArgs(['--snowpipe', 'free'])).toThrow(/--snowpipe must be per-gb or per-file/);
    expect(() => parseCostArgs(['--nope', '1'])).toThrow(/nope/);
  });
});
