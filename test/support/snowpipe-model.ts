/**
 * Plays, through the Snowflake stub, the parts of Snowflake a stream's raw pipe touches: the lake objects
 * an external stage lists, the pipe's state (SYSTEM$PIPE_STATUS), its load history (COPY_HISTORY, which a
 * CREATE OR REPLACE PIPE starts afresh), REFRESH, and the raw rows each loaded object left (_FILE,
 * _BATCH_ID, _INDEX). Statements it does not model get the stub's usual answers.
 */
import type { SnowflakeStub, StubAnswer, StubColumnType } from './snowflake-stub.js';

export interface LakeObject {
  key: string;
  /** NDJSON lines as Firehose wrote them (`_batch_id`, `_index`, …). */
  lines: string[];
  lastModified: string;
}

export interface ModelLoad {
  file: string;
  at: string;
  status: 'Loaded' | 'Load failed' | 'Partially loaded' | 'Load in progress';
  kind: 'raw' | 'quarantine';
  /** Which raw pipe loaded it: history goes with the pipe. */
  pipe: number;
}

export interface ModelPipeStatus {
  executionState: string;
  pendingFileCount: number;
}

const table = (columns: Array<[string, StubColumnType]>, rows: Array<Array<string | null>>): StubAnswer => ({
  columns: columns.map(([name, type]) => ({ name, type })),
  rows,
});

/** The single-quoted literals of the first `IN (…)` list of a statement. */
export function inList(sql: string): string[] {
  const list = /IN \(((?:'(?:[^']|'')*'(?:, )?)+)\)/.exec(sql)?.[1] ?? '';
  return [...list.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1].replace(/''/g, "'"));
}

export class SnowpipeModel {
  readonly objects = new Map<string, LakeObject>();
  readonly loads: ModelLoad[] = [];
  /** Each REFRESH PREFIX, in order. */
  readonly refreshes: string[] = [];
  /** The raw pipe's generation: CREATE OR REPLACE PIPE starts a new one, with no history. */
  pipe = 0;
  private statuses: ModelPipeStatus[] = [{ executionState: 'RUNNING', pendingFileCount: 0 }];

  constructor(private readonly opts: { bucket: string; now: () => string; rawPipePath: string }) {}

  put(key: string, lines: string[], lastModified = this.opts.now()): void {
    this.objects.set(key, { key, lines, lastModified });
  }

  /** The current pipe loads `key` (raw when under the raw pipe's path). */
  load(key: string, at = this.opts.now(), status: ModelLoad['status'] = 'Loaded', pipe = this.pipe): void {
    const kind = key.startsWith(this.opts.rawPipePath) ? 'raw' : 'quarantine';
    this.loads.push({ file: key, at, status, kind, pipe });
  }

  /** What SYSTEM$PIPE_STATUS answers next; the last one repeats. */
  pipeStatuses(...statuses: ModelPipeStatus[]): void {
    this.statuses = statuses;
  }

  /** Raw rows: one per line of each raw object loaded (Loaded or Partially loaded) by any pipe. */
  rawRows(): Array<{ file: string; batchId: string; index: number }> {
    const loaded = new Set(
      this.loads
        .filter((l) => l.kind === 'raw' && (l.status === 'Loaded' || l.status === 'Partially loaded'))
        .map((l) => l.file),
    );
    return [...loaded].flatMap((file) =>
      (this.objects.get(file)?.lines ?? []).map((line) => {
        const r = JSON.parse(line) as { _batch_id: string; _index: number };
        return { file, batchId: r._batch_id, index: r._index };
      }),
    );
  }

  install(stub: SnowflakeStub): void {
    stub.on(/SYSTEM\$PIPE_STATUS/, () => {
      const s = this.statuses.length > 1 ? this.statuses.shift()! : this.statuses[0];
      return table([['STATUS', 'text']], [[JSON.stringify(s)]]);
    });
    stub.on(/^CREATE OR REPLACE PIPE \S+_RAW_PIPE/, () => {
      this.pipe++;
      return table([['status', 'text']], [['Pipe successfully created.']]);
    });
    stub.on(/^SELECT DISTINCT "FILE_NAME"/, (sql) => {
      const since = this.startTime(sql);
      const statuses = new Set(['LOADED', 'PARTIALLY LOADED', 'LOAD IN PROGRESS']);
      const files = this.history(since)
        .filter((l) => l.kind === 'raw' && statuses.has(l.status.toUpperCase()))
        .map((l) => [l.file]);
      return table([['FILE_NAME', 'text']], files);
    });
    stub.on('COPY_HISTORY', (sql) => {
      const rows = this.history(this.startTime(sql)).map((l) => {
        const lines = this.objects.get(l.file)?.lines.length ?? 0;
        const ok = l.status === 'Loaded';
        return [
          l.kind,
          l.file,
          l.at,
          ok ? String(lines) : '0',
          String(lines),
          ok ? '0' : '1',
          null,
          l.status,
        ];
      });
      return table(
        [
          ['KIND', 'text'],
          ['FILE_NAME', 'text'],
          ['LAST_LOAD_TIME', 'text'],
          ['ROW_COUNT', 'fixed'],
          ['ROW_PARSED', 'fixed'],
          ['ERROR_COUNT', 'fixed'],
          ['FIRST_ERROR_MESSAGE', 'text'],
          ['STATUS', 'text'],
        ],
        rows,
      );
    });
    stub.on(/^LIST '@/, (sql) => {
      const path = /^LIST '@[^/]+\/(.*)'$/.exec(sql)?.[1] ?? '';
      const rows = [...this.objects.values()]
        .filter((o) => o.key.startsWith(path))
        .map((o) => [
          `s3://${this.opts.bucket}/${o.key}`,
          String(o.lines.join('\n').length),
          'md5',
          new Date(o.lastModified).toUTCString(),
        ]);
      return table(
        [
          ['name', 'text'],
          ['size', 'fixed'],
          ['md5', 'text'],
          ['last_modified', 'text'],
        ],
        rows,
      );
    });
    stub.on(/^WITH "FRESH" AS/, (sql) => {
      const wanted = new Set(inList(sql));
      const raw = this.rawRows();
      const pairs = new Map<string, [string, string]>();
      for (const r of raw)
        if (wanted.has(r.file)) pairs.set(`${r.file}\u0000${r.batchId}`, [r.file, r.batchId]);
      const rowsOf = (batch: string) =>
        new Set(raw.filter((r) => r.batchId === batch).map((r) => r.index)).size;
      return table(
        [
          ['FILE', 'text'],
          ['BATCH_ID', 'text'],
          ['ROWS', 'fixed'],
        ],
        [...pairs.values()].sort().map(([file, batch]) => [file, batch, String(rowsOf(batch))]),
      );
    });
    stub.on(/^SELECT DISTINCT "_FILE"/, (sql) => {
      const wanted = new Set(inList(sql));
      const files = new Set(this.rawRows().map((r) => r.file));
      return table(
        [['_FILE', 'text']],
        [...files].filter((f) => wanted.has(f)).map((f) => [f]),
      );
    });
    stub.on(/REFRESH PREFIX = '/, (sql) => {
      const prefix = /REFRESH PREFIX = '((?:[^']|'')*)'/.exec(sql)![1].replace(/''/g, "'");
      this.refreshes.push(prefix);
      const key = this.opts.rawPipePath + prefix;
      // The pipe's own history decides: a file it loaded already is skipped.
      const known = this.loads.some((l) => l.file === key && l.pipe === this.pipe);
      if (this.objects.has(key) && !known) this.load(key);
      return table(
        [
          ['File', 'text'],
          ['Status', 'text'],
        ],
        [[prefix, known ? 'SKIPPED' : 'SENT']],
      );
    });
  }

  /** COPY_HISTORY since `since`: the current raw pipe's loads, and every quarantine load. */
  private history(since: string): ModelLoad[] {
    return this.loads
      .filter((l) => (l.kind === 'quarantine' || l.pipe === this.pipe) && l.at >= since)
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  private startTime(sql: string): string {
    const iso = /START_TIME => GREATEST\(TO_TIMESTAMP_LTZ\('([^']+)'\)/.exec(sql)?.[1];
    if (!iso) throw new Error(`model: no START_TIME in ${sql}`);
    return iso;
  }
}
