/**
 * The time axis of a chart that shows the last few minutes of samples (the Lag chart), labelled with
 * clock times to the minute. Values are epoch seconds, uPlot's time unit.
 */

/**
 * Tick steps in seconds, none finer than a minute: a label shows minutes, so a finer step would
 * print the same label on several ticks.
 */
export const MINUTE_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/**
 * The visible range: the `windowSeconds` that end at the newest sample, or at `nowSeconds` before
 * the first one. A fixed span keeps the axis meaningful with zero or one sample, where uPlot's own
 * range would put an empty chart at the epoch and stretch a single point over a whole day.
 */
export function clockRange(
  newest: number | null | undefined,
  windowSeconds: number,
  nowSeconds: number,
): [number, number] {
  const end = newest ?? nowSeconds;
  return [end - windowSeconds, end];
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** "HH:MM" on a 24-hour clock, in the browser's time zone unless another is given. */
export function clockLabel(epochSeconds: number, timeZone?: string): string {
  const key = timeZone ?? '';
  let f = formatters.get(key);
  if (!f) {
    // en-GB only fixes the shape (two digits, a colon, 00-23); the zone stays the user's.
    f = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
    formatters.set(key, f);
  }
  return f.format(new Date(epochSeconds * 1000));
}
