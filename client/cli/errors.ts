import { TributaryError } from '../index.js';

/** Exit codes; README `### CLI` documents them. */
export const EXIT = {
  ok: 0,
  /** An API, network or input error, or a change the server refused. */
  error: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** push: finished, but records were rejected (without --allow-rejects); apply: changes pending. */
  attention: 3,
  /** push interrupted by Ctrl-C; the checkpoint is saved. */
  interrupted: 130,
} as const;

/** A failure the CLI explains in one line and ends with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

const MAX_FIELD_ERRORS = 5;

/**
 * A problem+json answer as one readable line: what went wrong, then the fields it names. When no answer
 * came, which server (`url`) could not be reached, and why.
 */
export function describeApiError(err: TributaryError, url?: string): string {
  if (err.status === 0 && err.cause !== undefined) return noAnswer(err, url ?? 'the API');
  const status = err.status ? `${err.status} ${err.title}` : err.title;
  let text = `${status}: ${err.detail ?? err.title}`;
  const errors = err.errors ?? [];
  const missing = errors.filter((e) => !text.includes(e.message));
  if (missing.length) {
    const shown = missing
      .slice(0, MAX_FIELD_ERRORS)
      .map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
    const more = missing.length > MAX_FIELD_ERRORS ? `; and ${missing.length - MAX_FIELD_ERRORS} more` : '';
    text += ` (${shown.join('; ')}${more})`;
  }
  return text.replace(/\s*\n\s*/g, ' ');
}

/** The transport's reason (ECONNREFUSED, ENOTFOUND, …), which fetch and AggregateError bury in causes. */
function systemCode(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 4) return undefined;
  const { code, cause, errors } = e as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  return (
    systemCode(cause, depth + 1) ?? (Array.isArray(errors) ? systemCode(errors[0], depth + 1) : undefined)
  );
}

function noAnswer(err: TributaryError, where: string): string {
  if (err.code === 'timeout') return `${err.title}: ${where} did not answer in time`;
  return `${err.title}: cannot reach ${where} (${systemCode(err.cause) ?? err.detail ?? 'no answer'})`;
}

/** Any error as the one line the CLI prints, and the exit code it ends with. */
export function explain(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof TributaryError) return { message: describeApiError(err), exitCode: EXIT.error };
  const e = err as NodeJS.ErrnoException;
  if (e?.code && e.path) {
    // "ENOENT: no such file or directory, open '/x'" → "/x: no such file or directory"
    const what = e.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '');
    return { message: `${e.path}: ${what}`, exitCode: EXIT.error };
  }
  return { message: e instanceof Error ? e.message : String(err), exitCode: EXIT.error };
}
