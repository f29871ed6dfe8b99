import {
  nodeJournalFs,
  type JournalFile,
  type JournalFs,
} from '../../api/adapters/local/idempotency-journal.js';
import { fsError, type FsFault } from './faulty-log-fs.js';

/**
 * The real journal file system, recording every operation in order, with faults armed per
 * operation and fdatasync optionally held at a gate (to see what waits for it and what does not).
 */
export class FaultyJournalFs implements JournalFs {
  writeFault: FsFault | undefined;
  syncFault: FsFault | undefined;
  renameFault: FsFault | undefined;
  /** Operations in the order they ran, e.g. `writev:journal.log.tmp`, `datasync:journal.log`. */
  readonly ops: string[] = [];
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  /** Holds every fdatasync until `releaseSyncs`. */
  holdSyncs(): void {
    this.gate = new Promise((r) => (this.openGate = r));
  }

  releaseSyncs(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  openAppend(file: string): Promise<JournalFile> {
    return this.wrap(file, nodeJournalFs.openAppend(file));
  }

  create(file: string): Promise<JournalFile> {
    return this.wrap(file, nodeJournalFs.create(file));
  }

  async rename(from: string, to: string): Promise<void> {
    this.ops.push(`rename:${base(from)}`);
    if (this.renameFault) throw fsError(this.renameFault, 'rename');
    await nodeJournalFs.rename(from, to);
  }

  syncDir(dir: string): Promise<void> {
    this.ops.push('syncdir');
    return nodeJournalFs.syncDir(dir);
  }

  private async wrap(file: string, opening: Promise<JournalFile>): Promise<JournalFile> {
    const fh = await opening;
    const name = base(file);
    return {
      writev: async (bufs) => {
        this.ops.push(`writev:${name}`);
        if (this.writeFault) {
          // Half of the bytes land before the failure, as on a disk that fills up mid-write.
          const all = Buffer.concat(bufs);
          await fh.writev([all.subarray(0, all.length >> 1)]);
          throw fsError(this.writeFault, 'write');
        }
        return fh.writev(bufs);
      },
      datasync: async () => {
        this.ops.push(`datasync:${name}`);
        if (this.gate) await this.gate;
        if (this.syncFault) throw fsError(this.syncFault, 'fdatasync');
        await fh.datasync();
      },
      close: () => fh.close(),
    };
  }
}

const base = (file: string) => file.slice(file.lastIndexOf('/') + 1);
