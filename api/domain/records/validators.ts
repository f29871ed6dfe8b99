import { compileValidator, splitDeclared } from '../schema/index.js';
import type { RecordSplitter } from '../schema/compile.js';
import type { FieldError } from '../errors.js';
import type { Stream } from '../streams/types.js';

export interface CompiledStream {
  validate: (value: unknown) => FieldError[] | null;
  split: RecordSplitter;
}

/**
 * Compiled validators, one per stream version. Keyed by tenant/stream/version so a schema
 * evolution compiles once and old entries are replaced.
 */
export class ValidatorCache {
  private readonly byStream = new Map<string, { version: number; compiled: CompiledStream }>();

  get(stream: Stream): CompiledStream {
    const id = `${stream.tenant}/${stream.name}`;
    const hit = this.byStream.get(id);
    if (hit && hit.version === stream.version) return hit.compiled;
    const compiled = { validate: compileValidator(stream.schema), split: splitDeclared(stream.schema) };
    this.byStream.set(id, { version: stream.version, compiled });
    return compiled;
  }
}
