import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { asApiError, type ApiError } from './api.js';

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  refresh: () => void;
}

/**
 * Loads `load()` now and again every `intervalMs` (0 = once) while mounted; a change in `deps`
 * restarts it. Keeps the last good data on a failed poll so a transient error does not blank the view.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, deps: unknown[]): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      let stop = false;
      try {
        const value = await loadRef.current();
        if (cancelled) return;
        setData(value);
        setError(undefined);
      } catch (e) {
        if (cancelled) return;
        const err = asApiError(e);
        setError(err);
        // A key without the right will not gain it by asking again.
        stop = err.status === 401 || err.status === 403 || err.status === 404;
      } finally {
        if (!cancelled) {
          setLoading(false);
          if (intervalMs > 0 && !stop) timer = setTimeout(() => void run(), intervalMs);
        }
      }
    };
    setLoading(true);
    void run();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
  }, [...deps, tick, intervalMs]);

  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, refresh };
}
