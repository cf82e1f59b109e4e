/** Completed and failed runs per minute over the last hour, drawn with uPlot. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ThroughputBucket } from '../types.js';

function cssColour(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function toData(buckets: readonly ThroughputBucket[]): uPlot.AlignedData {
  return [
    buckets.map((bucket) => new Date(bucket.minute).getTime() / 1000),
    buckets.map((bucket) => bucket.completed),
    buckets.map((bucket) => bucket.failed),
  ];
}

export function ThroughputChart({ buckets, theme }: { buckets: readonly ThroughputBucket[]; theme: string }) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);

  // (Re)create the chart when the theme changes: its colours come from the CSS variables.
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const axis = {
      stroke: cssColour('--muted'),
      grid: { stroke: cssColour('--grid') },
      ticks: { stroke: cssColour('--grid') },
    };
    const plot = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height: 220,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(5, max)] } },
        axes: [axis, { ...axis, size: 44 }],
        series: [
          {},
          { label: 'completed', stroke: cssColour('--completed'), width: 2, fill: cssColour('--completed-fill'), points: { show: false } },
          { label: 'failed', stroke: cssColour('--failed'), width: 2, fill: cssColour('--failed-fill'), points: { show: false } },
        ],
        legend: { live: true },
      },
      toData([]),
      element,
    );
    chart.current = plot;
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(280, element.clientWidth), height: 220 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, [theme]);

  useEffect(() => {
    chart.current?.setData(toData(buckets));
  }, [buckets, theme]);

  const completed = buckets.reduce((sum, bucket) => sum + bucket.completed, 0);
  const failed = buckets.reduce((sum, bucket) => sum + bucket.failed, 0);
  return (
    <figure class="chart">
      <div
        ref={container}
        class="chart-canvas"
        role="img"
        aria-label={`Throughput over the last hour: ${completed} completed, ${failed} failed`}
      />
      <figcaption>
        Runs per minute, last hour: {completed} completed, {failed} failed
      </figcaption>
    </figure>
  );
}
