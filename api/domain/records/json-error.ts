/**
 * Finds where a JSON text goes wrong. Only called after JSON.parse has already refused the text:
 * V8's messages differ between versions, omit the position for some errors and quote the input, so
 * the position and wording come from this small iterative validator instead (no recursion, so any
 * nesting depth is safe).
 */
export interface JsonSyntaxProblem {
  /** UTF-16 index into the text where the problem was found. */
  index: number;
  /** 1-based. */
  line: number;
  /** 1-based, in characters. */
  column: number;
  message: string;
}

const OBJECT = 1;
const ARRAY = 2;

/** Thrown from deep in the scan to stop at the first problem; caught in findJsonSyntaxProblem. */
class Found extends Error {
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(message);
  }
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function describe(text: string, i: number): string {
  if (i >= text.length) return 'unexpected end of input';
  const cp = text.codePointAt(i) ?? 0;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0xd800 && cp <= 0xdfff)) {
    return `unexpected character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `unexpected character '${String.fromCodePoint(cp)}'`;
}

/** Returns the index just past the closing quote; `i` is at the opening quote. */
function scanString(text: string, i: number): number {
  const n = text.length;
  let j = i + 1;
  for (;;) {
    if (j >= n) throw new Found(n, 'unterminated string');
    const c = text.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) {
      throw new Found(j, `control character U+${c.toString(16).toUpperCase().padStart(4, '0')} in string`);
    }
    if (c === 0x5c) {
      const e = j + 1 < n ? text.charCodeAt(j + 1) : -1;
      if (e === 0x75) {
        for (let k = j + 2; k < j + 6; k++) {
          if (k >= n || !isHex(text.charCodeAt(k))) throw new Found(j, 'invalid \\u escape in string');
        }
        j += 6;
        continue;
      }
      // " \ / b f n r t
      if (
        e === 0x22 ||
        e === 0x5c ||
        e === 0x2f ||
        e === 0x62 ||
        e === 0x66 ||
        e === 0x6e ||
        e === 0x72 ||
        e === 0x74
      ) {
        j += 2;
        continue;
      }
      if (e === -1) throw new Found(n, 'unterminated string');
      throw new Found(j, 'invalid escape sequence in string');
    }
    j++;
  }
}

function scanNumber(text: string, i: number): number {
  const n = text.length;
  let j = i;
  if (text.charCodeAt(j) === 0x2d) j++;
  if (j >= n || !isDigit(text.charCodeAt(j))) throw new Found(j, 'expected a digit in number');
  if (text.charCodeAt(j) === 0x30) j++;
  else while (j < n && isDigit(text.charCodeAt(j))) j++;
  if (j < n && text.charCodeAt(j) === 0x2e) {
    j++;
    if (j >= n || !isDigit(text.charCodeAt(j)))
      throw new Found(j, 'expected a digit after the decimal point');
    while (j < n && isDigit(text.charCodeAt(j))) j++;
  }
  if (j < n && (text.charCodeAt(j) === 0x65 || text.charCodeAt(j) === 0x45)) {
    j++;
    if (j < n && (text.charCodeAt(j) === 0x2b || text.charCodeAt(j) === 0x2d)) j++;
    if (j >= n || !isDigit(text.charCodeAt(j))) throw new Found(j, 'expected a digit in exponent');
    while (j < n && isDigit(text.charCodeAt(j))) j++;
  }
  return j;
}

function scanLiteral(text: string, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) {
    if (text.charCodeAt(i + k) !== word.charCodeAt(k)) throw new Found(i + k, describe(text, i + k));
  }
  return i + word.length;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}

/** Expects a property name then a colon; returns the index after the colon. */
function scanKey(text: string, i: number): number {
  i = skipWs(text, i);
  if (text.charCodeAt(i) !== 0x22) {
    throw new Found(
      i,
      i >= text.length ? 'unexpected end of input' : 'expected a double-quoted property name',
    );
  }
  i = skipWs(text, scanString(text, i));
  if (text.charCodeAt(i) !== 0x3a) {
    throw new Found(i, i >= text.length ? 'unexpected end of input' : "expected ':' after property name");
  }
  return i + 1;
}

function validate(text: string): void {
  const n = text.length;
  const stack: number[] = [];
  let i = 0;
  let expectValue = true;
  for (;;) {
    i = skipWs(text, i);
    if (expectValue) {
      if (i >= n) throw new Found(i, 'unexpected end of input');
      const c = text.charCodeAt(i);
      if (c === 0x7b) {
        i = skipWs(text, i + 1);
        if (text.charCodeAt(i) === 0x7d) {
          i++;
          expectValue = false;
        } else {
          i = scanKey(text, i);
          stack.push(OBJECT);
        }
      } else if (c === 0x5b) {
        i = skipWs(text, i + 1);
        if (text.charCodeAt(i) === 0x5d) {
          i++;
          expectValue = false;
        } else {
          stack.push(ARRAY);
        }
      } else if (c === 0x22) {
        i = scanString(text, i);
        expectValue = false;
      } else if (c === 0x2d || isDigit(c)) {
        i = scanNumber(text, i);
        expectValue = false;
      } else if (c === 0x74) {
        i = scanLiteral(text, i, 'true');
        expectValue = false;
      } else if (c === 0x66) {
        i = scanLiteral(text, i, 'false');
        expectValue = false;
      } else if (c === 0x6e) {
        i = scanLiteral(text, i, 'null');
        expectValue = false;
      } else {
        throw new Found(i, describe(text, i));
      }
      continue;
    }
    const top = stack.at(-1);
    if (top === undefined) {
      if (i < n) throw new Found(i, `unexpected data after the JSON value (${describe(text, i)})`);
      return;
    }
    if (i >= n) throw new Found(i, 'unexpected end of input');
    const c = text.charCodeAt(i);
    if (c === 0x2c) {
      i = top === OBJECT ? scanKey(text, i + 1) : i + 1;
      expectValue = true;
    } else if ((top === ARRAY && c === 0x5d) || (top === OBJECT && c === 0x7d)) {
      stack.pop();
      i++;
    } else {
      throw new Found(
        i,
        top === ARRAY
          ? "expected ',' or ']' after array element"
          : "expected ',' or '}' after property value",
      );
    }
  }
}

/** The first syntax problem in `text`, or undefined when it is valid JSON. */
export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  try {
    validate(text);
    return undefined;
  } catch (e) {
    if (!(e instanceof Found)) throw e;
    const { line, column } = lineAndColumn(text, e.index);
    return { index: e.index, line, column, message: e.message };
  }
}

export function lineAndColumn(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let nl = text.indexOf('\n'); nl !== -1 && nl < index; nl = text.indexOf('\n', nl + 1)) {
    line++;
    lineStart = nl + 1;
  }
  return { line, column: index - lineStart + 1 };
}
