import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { IDENTIFIER_PATTERN } from '../../../api/domain/identifiers.js';
import { CliError } from '../errors.js';

/** The fields a stream file may set: those of POST /streams. */
export const SPEC_FIELDS = [
  'name',
  'description',
  'schema',
  'dedupe',
  'entity',
  'piiFields',
  'clusterBy',
  'compatibility',
  'freshness',
  'buffering',
  'cdc',
] as const;

export type DesiredStream = { name: string } & Record<string, unknown>;

export interface StreamsFile {
  tenant?: string;
  streams: DesiredStream[];
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a streams file. Each YAML document (JSON is YAML too) is one stream spec (what `infer` prints),
 * or `{tenant?, streams: [spec, …]}`. Throws a CliError naming the file, document and problem.
 */
export async function readStreamsFile(file: string, text?: string): Promise<StreamsFile> {
  const source = text ?? (await readFile(file, 'utf8'));
  const docs = parseAllDocuments(source);
  if (!Array.isArray(docs)) throw new CliError(`${file}: not a YAML file`);
  const out: StreamsFile = { streams: [] };
  const fail = (where: string, what: string): never => {
    throw new CliError(`${file}: ${where}${what}`);
  };
  docs.forEach((doc, d) => {
    const at = docs.length > 1 ? `document ${d + 1}: ` : '';
    if (doc.errors.length) fail(at, doc.errors[0].message.split('\n')[0]);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    if (!isMap(value)) fail(at, 'expected a stream spec or {streams: [...]}');
    const m = value as Record<string, unknown>;
    if (Object.hasOwn(m, 'streams')) {
      const extra = Object.keys(m).filter((k) => k !== 'streams' && k !== 'tenant');
      if (extra.length) fail(at, `unexpected key '${extra[0]}' beside streams (only tenant may be there)`);
      const tenant = m.tenant;
      if (tenant !== undefined) {
        if (typeof tenant !== 'string') return fail(at, 'tenant must be a name');
        if (out.tenant !== undefined && out.tenant !== tenant)
          fail(at, `tenant ${tenant} differs from ${out.tenant}`);
        out.tenant = tenant;
      }
      if (!Array.isArray(m.streams)) fail(at, 'streams must be a list of stream specs');
      (m.streams as unknown[]).forEach((s, i) =>
        out.streams.push(checkStream(s, `${at}streams[${i}]: `, fail)),
      );
    } else out.streams.push(checkStream(m, at, fail));
  });
  const seen = new Set<string>();
  for (const s of out.streams) {
    if (seen.has(s.name)) fail('', `stream '${s.name}' is defined twice`);
    seen.add(s.name);
  }
  return out;
}

function checkStream(v: unknown, at: string, fail: (where: string, what: string) => never): DesiredStream {
  if (!isMap(v)) return fail(at, 'expected a stream spec (a mapping with name and schema)');
  if (typeof v.name !== 'string' || !IDENTIFIER_PATTERN.test(v.name))
    fail(at, `name must match ${IDENTIFIER_PATTERN.source}, got ${JSON.stringify(v.name)}`);
  const unknown = Object.keys(v).filter((k) => !(SPEC_FIELDS as readonly string[]).includes(k));
  if (unknown.length)
    fail(
      `${at}${String(v.name)}: `,
      `unknown field '${unknown[0]}' (a stream has ${SPEC_FIELDS.join(', ')})`,
    );
  if (v.schema === undefined) fail(`${at}${String(v.name)}: `, 'schema is required');
  return v as DesiredStream;
}
