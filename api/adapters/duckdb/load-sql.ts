import { InvalidInputError } from '../../domain/errors.js';
import type { Stream } from '../../domain/streams/types.js';
import { declaredColumns, QUARANTINE, QUARANTINE_COLUMNS, RAW, rawMetaColumns, SQL_TYPES } from './ddl.js';
import { literal, qualified, quote } from './identifiers.js';

/**
 * read_ndjson over a list of lake objects with every column typed up front, so DuckDB parses and
 * casts in its vectorized reader (no sampling, no per-row JS). One statement over many objects is
 * what makes a group load cheap: big inserts are written straight to the database file instead of
 * going through the WAL and being rewritten at checkpoint. Declared fields are read as a STRUCT:
 * absent keys and JSON nulls become NULL, ISO date-times cast to TIMESTAMPTZ. Compression is told
 * apart per file by its name (`.gz`), so a group may mix both. Hive partitioning is off because
 * lake keys look like `tenant=t/stream=s/...` and would otherwise grow extra columns.
 */
function readNdjson(paths: readonly string[], columns: ReadonlyArray<readonly [string, string]>): string {
  if (paths.length === 0) throw new InvalidInputError('A load needs at least one lake object');
  for (const path of paths) {
    // read_ndjson globs its path arguments; lake paths never contain glob characters, so refuse them.
    if (/[*?[\]{}]/.test(path))
      throw new InvalidInputError('Lake object path contains glob characters', [
        { path: 'path', message: path },
      ]);
  }
  const spec = columns.map(([name, type]) => `${literal(name)}: ${literal(type)}`).join(', ');
  const list = paths.map((p) => literal(p)).join(', ');
  return `read_ndjson([${list}], columns = {${spec}}, format = 'newline_delimited', compression = 'auto_detect', hive_partitioning = false)`;
}

export function rawLoadSql(stream: Stream, paths: readonly string[]): string {
  const declared = declaredColumns(stream);
  const meta = rawMetaColumns(stream);
  const source: Array<readonly [string, string]> = [...meta, ['extra', 'JSON']];
  if (declared.length > 0) {
    source.push([
      'record',
      `STRUCT(${declared.map((c) => `${quote(c.name)} ${SQL_TYPES[c.type]}`).join(', ')})`,
    ]);
  }
  const targets = [...declared.map((c) => quote(c.name)), quote('_extra'), ...meta.map(([n]) => quote(n))];
  const values = [
    ...declared.map((c) => `struct_extract("record", ${literal(c.name)})`),
    '"extra"',
    ...meta.map(([n]) => quote(n)),
  ];
  return `INSERT INTO ${qualified(RAW, stream.name)} (${targets.join(', ')}) SELECT ${values.join(', ')} FROM ${readNdjson(paths, source)}`;
}

export function quarantineLoadSql(stream: Stream, paths: readonly string[]): string {
  const names = QUARANTINE_COLUMNS.map(([n]) => quote(n)).join(', ');
  return `INSERT INTO ${qualified(QUARANTINE, stream.name)} (${names}) SELECT ${names} FROM ${readNdjson(paths, QUARANTINE_COLUMNS)}`;
}
