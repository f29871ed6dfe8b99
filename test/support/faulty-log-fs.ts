import { nodeLogFs, type LogFile, type LogFs } from '../../api/adapters/local/log.js';

export type FsFault = 'ENOSPC' | 'EIO';

/** An error shaped like the one Node raises for a failed system call. */
export function fsError(code: FsFault, syscall: string): NodeJS.ErrnoException {
  const text = code === 'ENOSPC' ? 'no space left on device' : 'i/o error';
  return Object.assign(new Error(`${code}: ${text}, ${syscall}`), {
    code,
    errno: code === 'ENOSPC' ? -28 : -5,
    syscall,
  });
}

/**
 * The real log file system with faults armed per operation, the way a full or failing disk behaves:
 * - `append`: the write puts the first half of its bytes in the file, then fails;
 * - `sync`: the write succeeded (the whole group is in the file) but fdatasync fails;
 * - `cut`: truncating fails; `mark`: writing at a position fails.
 */
export class FaultyLogFs implements LogFs {
  append: FsFault | undefined;
  sync: FsFault | undefined;
  cut: FsFault | undefined;
  mark: FsFault | undefined;
  /** Faults raised, by operation. */
  readonly raised: string[] = [];

  clear(): void {
    this.append = this.sync = this.cut = this.mark = undefined;
  }

  async create(file: string): Promise<LogFile> {
    const fh = await nodeLogFs.create(file);
    let size = 0;
    return {
      writev: async (bufs) => {
        const all = Buffer.concat(bufs);
        if (this.append) {
          const half = all.subarray(0, all.length >> 1);
          const { bytesWritten } = await fh.write(half, 0, half.length, size);
          size += bytesWritten;
          this.raised.push(`write:${this.append}`);
          throw fsError(this.append, 'write');
        }
        const out = await fh.write(all, 0, all.length, size);
        size += out.bytesWritten;
        return out;
      },
      write: async (buf, offset, length, position) => {
        if (this.mark) {
          this.raised.push(`pwrite:${this.mark}`);
          throw fsError(this.mark, 'write');
        }
        const out = await fh.write(buf, offset, length, position);
        size = Math.max(size, position + out.bytesWritten);
        return out;
      },
      datasync: async () => {
        if (this.sync) {
          this.raised.push(`fdatasync:${this.sync}`);
          throw fsError(this.sync, 'fdatasync');
        }
        await fh.datasync();
      },
      truncate: async (len) => {
        if (this.cut) {
          this.raised.push(`ftruncate:${this.cut}`);
          throw fsError(this.cut, 'ftruncate');
        }
        await fh.truncate(len);
        size = len;
      },
      close: () => fh.close(),
    };
  }

  syncDir(dir: string): Promise<void> {
    return nodeLogFs.syncDir(dir);
  }
}
