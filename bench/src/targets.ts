/**
 * Targets (issue 14 and the earlier benchmark goals) and whether a run met them, with the margin:
 * how far inside the limit a met target is, how far outside a missed one is.
 */

/** A target and whether this run met it. */
export interface TargetCheck {
  /** The target in words, with its limit. */
  readonly target: string;
  /** The measured value in words (with its unit). */
  readonly measured: string;
  readonly met: boolean;
  /** e.g. `missed by 18.5 (13.3× the limit)` or `met with 0.07 to spare`; `—` when not numeric. */
  readonly margin: string;
  /** Where the target comes from. */
  readonly source: string;
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(Math.abs(value) >= 1 ? 2 : 3);
}

/** Options shared by the numeric checks. */
interface NumericTarget {
  readonly target: string;
  readonly value: number;
  readonly limit: number;
  /** Appended to numbers, e.g. ` commands/job`, `×`, ` ms`. */
  readonly unit: string;
  readonly source: string;
  /** Shown instead of the plain value. */
  readonly measured?: string;
}

/** `value ≤ limit` (`value < limit` when `strict`). */
export function atMost(spec: NumericTarget & { readonly strict?: boolean }): TargetCheck {
  const { value, limit, unit } = spec;
  const met = spec.strict ? value < limit : value <= limit;
  const gap = Math.abs(limit - value);
  const margin = !Number.isFinite(value)
    ? 'not measured'
    : met
      ? `met, ${formatValue(gap)}${unit} to spare`
      : `missed by ${formatValue(gap)}${unit} (${formatValue(value / limit)}× the limit)`;
  return {
    target: spec.target,
    measured: spec.measured ?? `${formatValue(value)}${unit}`,
    met,
    margin,
    source: spec.source,
  };
}

/** `value ≥ limit`. */
export function atLeast(spec: NumericTarget): TargetCheck {
  const { value, limit, unit } = spec;
  const met = value >= limit;
  const gap = Math.abs(value - limit);
  const margin = !Number.isFinite(value)
    ? 'not measured'
    : met
      ? `met, ${formatValue(gap)}${unit} above the limit`
      : `missed by ${formatValue(gap)}${unit} (${formatValue(limit > 0 ? value / limit : 0)}× the limit)`;
  return {
    target: spec.target,
    measured: spec.measured ?? `${formatValue(value)}${unit}`,
    met,
    margin,
    source: spec.source,
  };
}

/** A yes/no target; `detail` says what was seen when it failed. */
export function holds(spec: {
  readonly target: string;
  readonly met: boolean;
  readonly measured: string;
  readonly detail?: string;
  readonly source: string;
}): TargetCheck {
  return {
    target: spec.target,
    measured: spec.measured,
    met: spec.met,
    margin: spec.met ? 'met' : `missed${spec.detail ? `: ${spec.detail}` : ''}`,
    source: spec.source,
  };
}

/** The target checks as a Markdown table (also readable in a terminal). */
export function formatTargets(targets: readonly TargetCheck[]): string {
  const rows = targets.map((t) => [t.met ? 'met' : 'MISSED', t.target, t.measured, t.margin, t.source]);
  const header = ['', 'target', 'measured', 'margin', 'source'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** The issue that set the scaling targets. */
export const ISSUE_14 = 'issue 14';

/** Flow control (limits, fairness across groups). */
export const ISSUE_22 = 'issue 22';
/** The benchmark's earlier goals (drain, pickup, bulk enqueue). */
export const EARLIER_GOAL = 'earlier goal';
/** A check this benchmark adds (no number in an issue). */
export const BENCH_CHECK = 'bench check';
