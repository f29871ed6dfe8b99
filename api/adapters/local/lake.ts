import { randomUUID } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createGunzip, gzip as gzipCb } from 'node:zlib';
import { promisify } from 'node:util';
import type { LakeObject } from '../../ports.js';
import type { ObjectKind } from '../../domain/records/types.js';
import { syncDir } from './log.js';

const gzip = promisify(gzipCb);

/** What an object's name says about it: the log range it covers makes republishing detectable. */
export interface ObjectKeyParts {
  kind: ObjectKind;
  tenant: string;
  stream: string;
  firstLsn: number;
  lastLsn: number;
}

export interface ListedObject extends ObjectKeyParts {
  key: string;
  path: string;
  bytes: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * Firehose-style key; the unique part is the (first, last) log sequence range of the entries it
 * holds, so a name is never reused and recovery can tell which entries are already in the lake.
 */
export function objectKey(parts: ObjectKeyParts, at: Date, gzipped: boolean): string {
  const date = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
  const hour = pad(at.getUTCHours());
  const stamp = `${date}-${hour}-${pad(at.getUTCMinutes())}-${pad(at.getUTCSeconds())}`;
  const unique = `${pad(parts.firstLsn, 12)}-${pad(parts.lastLsn, 12)}`;
  const ext = gzipped ? '.ndjson.gz' : '.ndjson';
  return `${parts.kind}/tenant=${parts.tenant}/stream=${parts.stream}/dt=${date}/hour=${hour}/${parts.stream}-${stamp}-${unique}${ext}`;
}

const KEY =
  /^(raw|quarantine)\/tenant=([a-z][a-z0-9_]*)\/stream=([a-z][a-z0-9_]*)\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/([a-z][a-z0-9_]*)-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-(\d+)-(\d+)\.ndjson(?:\.gz)?$/;

export function parseObjectKey(key: string): ObjectKeyParts | undefined {
  const m = KEY.exec(key);
  if (!m || m[4] !== m[3]) return undefined;
  return {
    kind: m[1] as ObjectKind,
    tenant: m[2],
    stream: m[3],
    firstLsn: Number(m[5]),
    lastLsn: Number(m[6]),
  };
}

/**
 * The local lake: a directory tree of immutable objects. Objects appear atomically (temp file in a
 * sibling directory, fsync, rename, fsync of the directory), so a reader never sees a partial one.
 */
export class Lake {
  private readonly dirs = new Map<string, Promise<void>>();

  constructor(
    readonly root: string,
    private readonly tmpDir: string,
  ) {}

  /** Creates the directories and removes temp files a crash left behind (they were never visible). */
  async init(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    await fs.rm(this.tmpDir, { recursive: true, force: true });
    await fs.mkdir(this.tmpDir, { recursive: true });
  }

  /**
   * Writes `chunks` (NDJSON) as one object. `beforeVisible` runs once the content is durable and
   * before the rename, so whatever it records can never refer to an object that does not exist yet
   * and later be missing.
   */
  async publish(
    parts: ObjectKeyParts & { records: number; at: Date; gzip: boolean; chunks: Buffer[] },
    beforeVisible?: (obj: LakeObject) => Promise<void>,
  ): Promise<LakeObject> {
    const key = objectKey(parts, parts.at, parts.gzip);
    // Uncompressed objects go out as the logged chunks themselves (one writev, no copy).
    const body = parts.gzip
      ? [await gzip(parts.chunks.length === 1 ? parts.chunks[0] : Buffer.concat(parts.chunks))]
      : parts.chunks;
    let bytes = 0;
    for (const c of body) bytes += c.length;
    const tmp = path.join(this.tmpDir, `${randomUUID()}.tmp`);
    const file = path.join(this.root, key);
    const obj: LakeObject = {
      tenant: parts.tenant,
      stream: parts.stream,
      kind: parts.kind,
      key,
      path: file,
      bytes,
      records: parts.records,
    };
    try {
      const fh = await fs.open(tmp, 'wx');
      try {
        const { bytesWritten } = await fh.writev(body);
        if (bytesWritten !== bytes)
          throw new Error(`short write to ${tmp} (${bytesWritten} of ${bytes} bytes)`);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await Promise.all([this.ensureDir(path.dirname(file)), beforeVisible?.(obj)]);
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    await syncDir(path.dirname(file));
    return obj;
  }

  /** mkdir -p, making each newly created directory's entry durable in its parent. */
  private ensureDir(dir: string): Promise<void> {
    let p = this.dirs.get(dir);
    if (!p) {
      p = this.makeDir(dir);
      p.catch(() => this.dirs.delete(dir));
      this.dirs.set(dir, p);
    }
    return p;
  }

  private async makeDir(dir: string): Promise<void> {
    const created = await fs.mkdir(dir, { recursive: true });
    if (created) {
      // Every directory from the first created one down is new: sync each parent.
      let d = dir;
      const parents: string[] = [];
      while (d.length >= created.length) {
        parents.push(path.dirname(d));
        d = path.dirname(d);
      }
      for (const p of parents) await syncDir(p);
    }
  }

  /** Every object in the lake. Start-up only: walks the whole tree. */
  async list(): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    const walk = async (rel: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(path.join(this.root, rel), { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const childRel = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory() && depth < 5) await walk(childRel, depth + 1);
        else if (e.isFile()) {
          const parts = parseObjectKey(childRel);
          if (!parts) continue;
          const file = path.join(this.root, childRel);
          const { size } = await fs.stat(file);
          out.push({ ...parts, key: childRel, path: file, bytes: size });
        }
      }
    };
    await walk('', 0);
    return out;
  }

  /** Counts an object's lines and reads the first line's _received_at (for objects found at start-up). */
  async inspect(obj: ListedObject): Promise<{ records: number; firstReceivedAt?: string }> {
    let records = 0;
    let head = '';
    let headDone = false;
    const input = createReadStream(obj.path);
    const stream = obj.key.endsWith('.gz') ? input.pipe(createGunzip()) : input;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let i = -1;
      while ((i = chunk.indexOf(10, i + 1)) >= 0) records++;
      if (!headDone) {
        const nl = chunk.indexOf(10);
        head += chunk.toString('utf8', 0, nl < 0 ? chunk.length : nl);
        headDone = nl >= 0 || head.length > 1 << 20;
      }
    }
    let firstReceivedAt: string | undefined;
    try {
      const at = (JSON.parse(head) as { _received_at?: unknown })._received_at;
      if (typeof at === 'string') firstReceivedAt = at;
    } catch {
      // Not our record shape; the object is still loaded, only its age is unknown.
    }
    return { records, firstReceivedAt };
  }
}
