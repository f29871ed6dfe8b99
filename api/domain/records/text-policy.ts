import type { FieldError } from '../errors.js';

/**
 * The text policy at ingest (README, "Text policy"): what is stored must be exactly what was
 * validated, and every stored line must load. A record is rejected into quarantine, with the JSON
 * Pointer path of the offending value or key, when its text holds
 *   - a lone UTF-16 surrogate escape (`"\ud800"`) in a string or a key: JSON.parse keeps it, but no
 *     warehouse can store it (DuckDB refuses the whole object);
 *   - a number that overflows a double (`1e400`): JSON.parse gives Infinity, which JSON cannot write;
 *   - an integer literal whose digits do not survive JSON.parse (`9007199254740993` becomes ...992):
 *     a copied line would store the digits and a re-serialized one the rounded value;
 *   - a top-level key naming a system field (`_id`, `_batch_id`, ...; any letter case).
 * U+0000, noncharacters, -0 and numbers that underflow to 0 are accepted: every layer stores them.
 *
 * The byte scan (json-scan.ts) marks the records whose text may hold one of the first three; only
 * those are read here. A rejected record's quarantine copy is its text made loadable: lone
 * surrogate escapes become the visible text `\ud800` and overflowing numbers become strings.
 */

/** Names the lake line or the warehouse tables use beside a record's own fields. */
export const SYSTEM_FIELDS = [
  '_id',
  '_batch_id',
  '_index',
  '_received_at',
  '_schema_version',
  '_extra',
  '_tenant',
  '_stream',
  '_tributary',
] as const;

/**
 * The system columns a change stream adds (api/domain/records/debezium.ts), reserved in change streams
 * only: other streams have long taken such keys (`_source` is common) into `_extra`.
 */
export const CHANGE_SYSTEM_FIELDS = ['_op', '_source_ts', '_source_position', '_source'] as const;

const SYSTEM = new Set<string>(SYSTEM_FIELDS);
const CHANGE_SYSTEM = new Set<string>([...SYSTEM_FIELDS, ...CHANGE_SYSTEM_FIELDS]);

/** Problems found in one record's text, and the text to keep in quarantine should it be rejected. */
export interface TextReading {
  problems: FieldError[];
  /** The record on one line, minified, with lone surrogates and overflowing numbers made loadable. */
  copy: string;
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const LONE_SURROGATES = /[\uD800-\uDFFF]/gu;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const INTEGER = /^-?\d+$/;
const MAX_SHOWN = 40;

/** `text` with each lone surrogate written as the visible text `\udxxx`. */
export function showLoneSurrogates(text: string): string {
  return LONE_SURROGATE.test(text)
    ? text.replace(LONE_SURROGATES, (c) => `\\u${c.charCodeAt(0).toString(16)}`)
    : text;
}

/**
 * JSON text with the backslash of every lone surrogate escape doubled, so `"\ud800"` reads back as
 * the six characters `\ud800`. Escaped pairs and everything else are left alone. Applied to
 * JSON.stringify output it makes any value loadable (JSON.stringify escapes lone surrogates).
 */
export function escapeLoneSurrogates(json: string): string {
  let k = json.indexOf('\\');
  if (k === -1) return json;
  let out = '';
  let from = 0;
  while (k !== -1) {
    if (json.charCodeAt(k + 1) !== 0x75) {
      k = json.indexOf('\\', k + 2);
      continue;
    }
    const unit = parseInt(json.slice(k + 2, k + 6), 16);
    if (unit >= 0xd800 && unit <= 0xdbff && json.startsWith('\\u', k + 6)) {
      const low = parseInt(json.slice(k + 8, k + 12), 16);
      if (low >= 0xdc00 && low <= 0xdfff) {
        k = json.indexOf('\\', k + 12);
        continue;
      }
    }
    if (unit >= 0xd800 && unit <= 0xdfff) {
      out += `${json.slice(from, k)}\\`;
      from = k;
    }
    k = json.indexOf('\\', k + 6);
  }
  return out + json.slice(from);
}

function pointer(key: string): string {
  return showLoneSurrogates(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

function shown(token: string): string {
  return token.length > MAX_SHOWN ? `${token.slice(0, MAX_SHOWN)}…` : token;
}

function surrogateProblem(path: string, decoded: string, inKey: boolean): FieldError {
  const unit = LONE_SURROGATE.exec(decoded)?.[0].charCodeAt(0) ?? 0;
  const where = inKey ? ' in a key' : '';
  return {
    path,
    message: `invalid Unicode${where} (lone surrogate \\u${unit.toString(16)}); the quarantine copy holds it as the text \\u${unit.toString(16)}`,
  };
}

/** Number problems; undefined for a number every layer stores as JSON.parse read it. */
function numberProblem(token: string, value: number): string | undefined {
  if (!Number.isFinite(value)) {
    return `number out of range: ${shown(token)} overflows a double (JSON.parse gives ${value}); the quarantine copy holds it as a string`;
  }
  // Accepted when the digits survive a round trip: the literal is the double's exact value, or the
  // way JavaScript writes that double (JSON.stringify of 4.007213299316121e16 is 40072132993161210).
  // Past 309 digits the value is not finite, so BigInt never parses a long literal.
  if (
    INTEGER.test(token) &&
    !Number.isSafeInteger(value) &&
    token !== String(value) &&
    BigInt(token) !== BigInt(value)
  ) {
    return `integer ${shown(token)} cannot be stored exactly (past 2^53, JSON.parse makes it ${value}); send it as a string`;
  }
  return undefined;
}

/**
 * Reads one record's JSON text (already accepted by JSON.parse) with paths. Not a validator: the
 * text is known to be JSON, and its nesting is bounded by the body scan.
 */
class Reader {
  private pos = 0;
  private readonly out: string[] = [];
  readonly problems: FieldError[] = [];

  constructor(private readonly text: string) {}

  read(): TextReading {
    this.value('');
    return { problems: this.problems, copy: this.out.join('') };
  }

  private skipWs(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos++;
    }
  }

  private value(path: string): void {
    this.skipWs();
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x7b) this.object(path);
    else if (c === 0x5b) this.array(path);
    else if (c === 0x22) {
      const { token, decoded } = this.string();
      if (LONE_SURROGATE.test(decoded)) this.problems.push(surrogateProblem(path, decoded, false));
      this.out.push(escapeLoneSurrogates(token));
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) this.number(path);
    else {
      // true, false or null
      const len = c === 0x66 ? 5 : 4;
      this.out.push(this.text.slice(this.pos, this.pos + len));
      this.pos += len;
    }
  }

  private object(path: string): void {
    this.out.push('{');
    this.pos++;
    this.skipWs();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      this.out.push('}');
      return;
    }
    for (;;) {
      this.skipWs();
      const { token, decoded } = this.string();
      const at = `${path}/${pointer(decoded)}`;
      if (LONE_SURROGATE.test(decoded)) this.problems.push(surrogateProblem(at, decoded, true));
      this.out.push(escapeLoneSurrogates(token));
      this.skipWs();
      this.pos++; // ':'
      this.out.push(':');
      this.value(at);
      this.skipWs();
      const c = this.text.charCodeAt(this.pos++);
      this.out.push(c === 0x2c ? ',' : '}');
      if (c !== 0x2c) return;
    }
  }

  private array(path: string): void {
    this.out.push('[');
    this.pos++;
    this.skipWs();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      this.out.push(']');
      return;
    }
    for (let i = 0; ; i++) {
      this.value(`${path}/${i}`);
      this.skipWs();
      const c = this.text.charCodeAt(this.pos++);
      this.out.push(c === 0x2c ? ',' : ']');
      if (c !== 0x2c) return;
    }
  }

  private string(): { token: string; decoded: string } {
    const t = this.text;
    const open = this.pos;
    let k = open + 1;
    for (;;) {
      const q = t.indexOf('"', k);
      if (q === -1) throw new SyntaxError('unterminated string');
      let backslashes = 0;
      for (let j = q - 1; j > open && t.charCodeAt(j) === 0x5c; j--) backslashes++;
      k = q + 1;
      if (backslashes % 2 === 0) break;
    }
    this.pos = k;
    const token = t.slice(open, k);
    return { token, decoded: token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1) };
  }

  private number(path: string): void {
    NUMBER.lastIndex = this.pos;
    const token = NUMBER.exec(this.text)?.[0] ?? '';
    this.pos += token.length;
    const problem = numberProblem(token, Number(token));
    if (problem === undefined) {
      this.out.push(token);
      return;
    }
    this.problems.push({ path, message: problem });
    this.out.push(Number.isFinite(Number(token)) ? token : JSON.stringify(token));
  }
}

/**
 * The text policy over one record's JSON text (a span of the request body), or over its parsed value
 * should the text not read as JSON (the span would then be wrong: a scan bug must not become a 5xx).
 */
export function readRecordText(text: string, value: unknown): TextReading {
  try {
    return new Reader(text).read();
  } catch {
    return readRecordValue(value);
  }
}

/**
 * The text policy over a parsed value, when its text is not at hand (a backstop: the body scan
 * normally supplies every record's span). Integer precision cannot be judged without the digits.
 */
export function readRecordValue(value: unknown): TextReading {
  const problems: FieldError[] = [];
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) problems.push(surrogateProblem(path, v, false));
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) problems.push({ path, message: `number out of range (${v})` });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${path}/${i}`));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const at = `${path}/${pointer(k)}`;
        if (LONE_SURROGATE.test(k)) problems.push(surrogateProblem(at, k, true));
        walk(item, at);
      }
    }
  };
  walk(value, '');
  return { problems, copy: escapeLoneSurrogates(JSON.stringify(value) ?? 'null') };
}

/** Top-level keys that name a system field; null when there are none. Only `_` names can. */
export function systemFieldProblems(record: Record<string, unknown>, change = false): FieldError[] | null {
  let problems: FieldError[] | null = null;
  const reserved = change ? CHANGE_SYSTEM : SYSTEM;
  for (const key in record) {
    if (key.charCodeAt(0) !== 0x5f || !reserved.has(key.toLowerCase())) continue;
    (problems ??= []).push({
      path: `/${pointer(key)}`,
      message: `reserved name: ${showLoneSurrogates(key)} is a system field (${[...reserved].join(', ')}); rename it`,
    });
  }
  return problems;
}

/**
 * Policy problems first, then the validator's, leaving out those at a path the policy already names
 * (an overflowing number is also "not a number"). Paths never carry a lone surrogate, so the errors
 * can be stored and logged anywhere.
 */
export function mergeProblems(policy: FieldError[], validation: FieldError[] | null): FieldError[] {
  if (!validation) return policy;
  const named = new Set(policy.map((p) => p.path));
  const rest = validation
    .filter((p) => !named.has(p.path))
    .map((p) => ({ path: showLoneSurrogates(p.path), message: p.message }));
  return [...policy, ...rest];
}
