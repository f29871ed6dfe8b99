import { AbstractIterator, AbstractKeyIterator, AbstractValueIterator } from 'abstract-level';

type Closable = { close(): Promise<void>; return?: () => Promise<IteratorResult<never>> };

/**
 * dynalite 4 turns every Query and Scan into streams over LevelDB iterators, and closes each iterator
 * in the stream's destroy by calling `iterator.return()`, which abstract-level 3's iterators do not
 * have. So nothing ever closed them: each Query left two native iterators attached to the database
 * for the life of the process, each holding its read-ahead buffer (about 26 KB, allocated on libuv's
 * thread pool) and a reference to LevelDB's state at that moment. Found with heaptrack in the soak,
 * where it was most of the 50 MiB/h of RSS growth. Giving the iterators the `return()` dynalite
 * expects closes them when the stream ends or is destroyed; idempotent, process-wide.
 */
export function closeLevelIteratorsOnReturn(): void {
  for (const Iterator of [AbstractIterator, AbstractKeyIterator, AbstractValueIterator]) {
    const proto = Iterator.prototype as unknown as Closable;
    // Already there: patched before, or a later abstract-level closes them itself.
    if (proto.return) continue;
    Object.defineProperty(proto, 'return', {
      configurable: true,
      writable: true,
      value(this: Closable) {
        return this.close().then(() => ({ done: true, value: undefined }) as IteratorResult<never>);
      },
    });
  }
}
