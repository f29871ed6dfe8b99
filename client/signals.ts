const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Runs `close` on SIGTERM or SIGINT, then, when no other handler is left, sends the signal again so it
 * ends the process as it would have (a second Ctrl-C during close ends it at once). Returns a function
 * that removes the handlers.
 */
export function closeOnSignals(close: () => Promise<void>): () => void {
  const handlers = SIGNALS.map((signal) => {
    const handler = () => {
      void close()
        .catch((err: unknown) => process.emitWarning(err instanceof Error ? err : String(err)))
        .finally(() => {
          if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
        });
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
