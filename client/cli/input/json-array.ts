import { CliError } from '../errors.js';
import { MAX_RECORD_BYTES, type Item, type ReadFrom } from './items.js';

/*
 * Splits a JSON array into its elements without parsing them, so a file of any size is read in constant
 * memory and every element's byte range is known (push resumes from one). No JSON streaming library is
 * among the dependencies, and none reports byte offsets; this only tracks strings and nesting, and
 * leaves checking each element to JSON.parse.
 */

const State = {
  /** Before the opening '[' (BOM and whitespace allowed). */
  Start: 0,
  /** After '[' or ',': an element (or, right after '[', a ']') comes next. */
  BeforeElement: 1,
  InElement: 2,
  /** After an element: ',' or ']' comes next. */
  AfterElement: 3,
  /** After the closing ']': only whitespace may follow. */
  Done: 4,
} as const;

const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const NL = 0x0a;
const BOM = [0xef, 0xbb, 0xbf];
const isWs = (c: number) => c === 0x20 || c === NL || c === 0x0d || c === 0x09;

export async function* jsonArrayItems(chunks: AsyncIterable<Buffer>, from: ReadFrom): AsyncGenerator<Item[]> {
  // A resumed read starts just past an element, inside the array.
  let state: number = from.offset === 0 ? State.Start : State.AfterElement;
  let offset = from.offset; // of chunk[i]
  let line = from.line + 1; // the line chunk[i] is on
  let empty = true;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let parts: Buffer[] = [];
  let bytes = 0;
  let startLine = 0;
  let bomAt = from.offset === 0 ? 0 : BOM.length;

  const fail = (what: string): never => {
    throw new CliError(`malformed JSON at line ${line}, byte ${offset}: ${what}`);
  };

  for await (const chunk of chunks) {
    const out: Item[] = [];
    let elementFrom = 0; // where the current element starts in this chunk
    for (let i = 0; i < chunk.length; i++, offset++) {
      const c = chunk[i];
      if (bomAt < BOM.length) {
        if (c === BOM[bomAt]) {
          bomAt++;
          continue;
        }
        bomAt = BOM.length;
      }
      if (state === State.BeforeElement && !isWs(c) && !(c === CLOSE_BRACKET && empty)) {
        if (c === COMMA || c === CLOSE_BRACKET) fail(`unexpected '${String.fromCharCode(c)}'`);
        state = State.InElement;
        empty = false;
        elementFrom = i;
        startLine = line;
        depth = 0;
        inString = false;
      }
      if (state === State.InElement) {
        // `until` is where the element ends (exclusive) once it does: after a closing quote or bracket
        // that brings it back to the top, or before the ',' ']' or whitespace that ends a bare scalar.
        let until = -1;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) {
            inString = false;
            if (depth === 0) until = i + 1;
          }
        } else if (c === QUOTE) inString = true;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
        else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && depth > 0) {
          if (--depth === 0) until = i + 1;
        } else if (depth === 0 && (c === COMMA || c === CLOSE_BRACKET || isWs(c))) until = i;
        else if (c === CLOSE_BRACE) fail("unexpected '}'");
        if (until === -1) {
          if (c === NL) line++;
          continue;
        }
        const piece = chunk.subarray(elementFrom, until);
        const text = parts.length ? Buffer.concat([...parts, piece]) : piece;
        parts = [];
        bytes = 0;
        const endOffset = offset + (until - i);
        state = State.AfterElement;
        out.push({ kind: 'json', text, line: startLine, end: endOffset, endLine: line - 1 });
        if (until === i + 1) continue; // the closing byte was part of the element
      }
      if (c === NL) line++;
      if (isWs(c)) continue;
      if (state === State.Start) {
        if (c !== OPEN_BRACKET) fail('expected a JSON array of records ([…])');
        state = State.BeforeElement;
      } else if (state === State.BeforeElement) {
        state = State.Done; // only ']' right after '[' gets here
      } else if (state === State.AfterElement) {
        if (c === COMMA) state = State.BeforeElement;
        else if (c === CLOSE_BRACKET) state = State.Done;
        else fail("expected ',' or ']' after an element");
      } else fail('unexpected data after the closing ]');
    }
    if (out.length) yield out;
    if (state === State.InElement) {
      const piece = chunk.subarray(elementFrom);
      parts.push(piece);
      bytes += piece.length;
      if (bytes > MAX_RECORD_BYTES) fail(`an element is longer than ${MAX_RECORD_BYTES} bytes`);
    }
  }
  if (state !== State.Done) fail(state === State.Start ? 'the input is empty' : 'the array is not closed');
}
