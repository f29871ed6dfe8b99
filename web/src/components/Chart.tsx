import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { MINUTE_STEPS, clockLabel, clockRange } from '../clockAxis.js';

export interface ChartSeries {
  label: string;
  color: string;
  /** Dash pattern, so series differ by more than colour. */
  dash?: number[];
}

interface ChartProps {
  /** x values in epoch seconds. */
  x: number[];
  ys: number[][];
  series: ChartSeries[];
  /** Text equivalent of the chart for assistive technology. */
  summary: string;
  height?: number;
  yLabel?: string;
  /**
   * For short, sampled histories: show this many seconds, ending at the newest sample, on an x
   * axis labelled with clock times (HH:MM).
   */
  clockWindowSeconds?: number;
  testId?: string;
}

/** A uPlot time-series chart that resizes with its container and takes new data without re-creating. */
export function Chart({
  x,
  ys,
  series,
  summary,
  height = 220,
  yLabel,
  clockWindowSeconds,
  testId,
}: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape =
    series.map((s) => s.label).join('|') + `|${height}|${yLabel ?? ''}|${clockWindowSeconds ?? ''}`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const clock = clockWindowSeconds;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth || 600),
      height,
      scales: {
        x: clock
          ? { time: true, range: (_u, _min, max) => clockRange(max, clock, Date.now() / 1000) }
          : { time: true },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      axes: [
        {
          stroke: '#333',
          grid: { stroke: '#e3e3e3' },
          ...(clock && {
            incrs: MINUTE_STEPS,
            values: (_u: uPlot, splits: number[]) => splits.map((t) => clockLabel(t)),
          }),
        },
        { stroke: '#333', grid: { stroke: '#e3e3e3' }, label: yLabel, size: 56 },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          dash: s.dash,
          points: { show: false },
        })),
      ],
    };
    const u = new uPlot(opts, [x, ...ys] as uPlot.AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && Math.abs(w - u.width) > 2) u.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Data updates go through setData below; only a change of shape rebuilds the chart.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData([x, ...ys] as uPlot.AlignedData);
  }, [x, ys]);

  return (
    <figure class="chart" data-testid={testId}>
      <p class="visually-hidden" aria-live="off">
        {summary}
      </p>
      <div ref={box} class="chart-canvas" aria-hidden="true" />
    </figure>
  );
}

/** A tiny axis-less line for tables. */
export function Sparkline({
  x,
  y,
  label,
  color = '#1f5fbf',
}: {
  x: number[];
  y: number[];
  label: string;
  color?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(
      {
        width: 140,
        height: 36,
        legend: { show: false },
        cursor: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        series: [{}, { stroke: color, width: 1.5, fill: `${color}22`, points: { show: false } }],
      },
      [x, y],
      el,
    );
    plot.current = u;
    return () => {
      u.destroy();
      plot.current = null;
    };
  }, [color]);

  useEffect(() => {
    plot.current?.setData([x, y]);
  }, [x, y]);

  return (
    <span class="sparkline" role="img" aria-label={label}>
      <span ref={box} />
    </span>
  );
}
