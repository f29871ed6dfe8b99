import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxProblem } from '../../../api/domain/records/index.js';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const jsonish = fc.string({
  unit: fc.constantFrom(
    '[',
    ']',
    '{',
    '}',
    '"',
    '\\',
    '/',
    'u',
    '0',
    '1',
    '9',
    'a',
    'F',
    ',',
    ':',
    ' ',
    '\n',
    '\t',
    '\u0001',
    'e',
    'E',
    '+',
    '-',
    '.',
    'true',
    'false',
    'null',
    'é',
  ),
  maxLength: 40,
});

/** Valid JSON text with one character deleted, replaced or inserted. */
const mutatedJson = fc
  .tuple(
    fc.json({ maxDepth: 3 }),
    fc.nat(),
    fc.constantFrom('', ',', ']', '}', '"', '\\', ':', 'x', '0', ' ', '-', '.'),
    fc.boolean(),
  )
  .map(([text, at, ch, replace]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    return text.slice(0, i) + ch + text.slice(replace ? i + 1 : i);
  });

describe('findJsonSyntaxProblem', () => {
  it('agrees with JSON.parse about what is valid', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json({ maxDepth: 3 }), mutatedJson, jsonish, fc.string()), (text) => {
        const problem = findJsonSyntaxProblem(text);
        expect(problem === undefined, `${JSON.stringify(text)} ${JSON.stringify(problem)}`).toBe(
          parses(text),
        );
        if (problem !== undefined) {
          expect(problem.index).toBeGreaterThanOrEqual(0);
          expect(problem.index).toBeLessThanOrEqual(text.length);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('points at the offending character with line and column', () => {
    expect(findJsonSyntaxProblem('{\n "a": [1,\n 2,,]}')).toEqual({
      index: 15,
      line: 3,
      column: 4,
      message: "unexpected character ','",
    });
    expect(findJsonSyntaxProblem('"a\u0001"')?.message).toBe('control character U+0001 in string');
    expect(findJsonSyntaxProblem('"\\u12G4"')?.message).toBe('invalid \\u escape in string');
    expect(findJsonSyntaxProblem('-')?.message).toBe('expected a digit in number');
    expect(findJsonSyntaxProblem('1.')?.message).toBe('expected a digit after the decimal point');
    expect(findJsonSyntaxProblem('1e+')?.message).toBe('expected a digit in exponent');
    expect(findJsonSyntaxProblem('{"a":1 "b":2}')?.message).toBe("expected ',' or '}' after property value");
  });

  it('validates 200k-deep nesting without recursion', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(findJsonSyntaxProblem(deep)).toBeUndefined();
    expect(findJsonSyntaxProblem(deep.slice(0, -1))?.message).toBe('unexpected end of input');
  });
});
