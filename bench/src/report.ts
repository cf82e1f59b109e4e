/**
 * Turns measured runs into figures (median of runs, Monque/Agenda ratio), prints them as a table,
 * and writes them as JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { median, ratio } from './stats.js';
import type { TargetCheck } from './targets.js';

/** One line of the table. */
export interface Figure {
  readonly scenario: string;
  readonly metric: string;
  readonly unit: string;
  /** Which way is better. */
  readonly better: 'higher' | 'lower';
  /** Median over runs (or the pooled percentile for latencies); `null` when not measured (e.g. no bulk API). */
  readonly monque: number | null;
  readonly agenda: number | null;
  /** Monque / Agenda; `null` when either is missing. */
  readonly ratio: number | null;
  /** Every run's value, for the record. */
  readonly runs: { readonly monque: number[]; readonly agenda: number[] };
  readonly note?: string;
}

/** Everything a run writes to `results/latest.json` (scenario details under their own keys). */
export interface BenchReport {
  readonly generatedAt: string;
  /** `full`, or `quick` for a smoke run. */
  readonly mode: 'full' | 'quick';
  /** The scenarios this run measured. */
  readonly scenarios: readonly string[];
  /** Wall time of the whole run, in seconds. */
  readonly wallSeconds: number;
  readonly machine: {
    readonly cpus: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly os: string;
    /** 1-minute load average of the machine when the run started and ended (other work slows every figure but the command counts). */
    readonly loadAverage1m?: { readonly start: number; readonly end: number };
  };
  readonly backend: string;
  readonly versions: Record<string, string>;
  readonly settings: Record<string, unknown>;
  readonly figures: Figure[];
  readonly targets: TargetCheck[];
  /** Per-scenario details, e.g. `drainCommandsPerJob`, `steadyLoad`, `multiInstance`, `idleCost`, `memorySoak`. */
  readonly [detail: string]: unknown;
}

/** A figure from per-run values (median of runs). */
export function figureOf(
  base: Omit<Figure, 'monque' | 'agenda' | 'ratio' | 'runs'>,
  monqueRuns: number[],
  agendaRuns: number[],
): Figure {
  const monque = monqueRuns.length > 0 ? median(monqueRuns) : null;
  const agenda = agendaRuns.length > 0 ? median(agendaRuns) : null;
  return {
    ...base,
    monque,
    agenda,
    ratio: monque !== null && agenda !== null ? ratio(monque, agenda) : null,
    runs: { monque: monqueRuns, agenda: agendaRuns },
  };
}

function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatRatio(figure: Figure): string {
  if (figure.ratio === null || !Number.isFinite(figure.ratio)) return '—';
  const advantage = figure.better === 'higher' ? figure.ratio : 1 / figure.ratio;
  const verdict =
    advantage >= 1 ? `Monque ${formatNumber(advantage)}× better` : `Agenda ${formatNumber(1 / advantage)}× better`;
  return `${formatNumber(figure.ratio)} (${verdict})`;
}

/** The figures as a Markdown table (also readable in a terminal). */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((figure) => [
    figure.scenario,
    `${figure.metric} (${figure.unit})`,
    formatNumber(figure.monque),
    figure.agenda === null && figure.note ? figure.note : formatNumber(figure.agenda),
    formatRatio(figure),
  ]);
  const header = ['scenario', 'figure', 'Monque', 'Agenda', 'Monque / Agenda'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** Writes `report` to `file` (creating its folder). */
export function writeReport(file: string, report: BenchReport): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
