/** How the CLI prints jobs and stats for people (the `--json` output is `toJson` of the same values). */
import type { Job, PausedState, QueueStats, StatusCounts } from '@monque/core';
import { toJson } from '../api/to-json.js';
import { formatDuration } from './duration.js';
import { formatTable } from './table.js';
import { visible } from './visible.js';

/** `2025-01-31 12:00:05Z`, or `-` for none. */
export function formatTime(date: Date | null | undefined): string {
  if (!date) return '-';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

const STATUS_COLUMNS = ['waiting', 'pending', 'due', 'processing', 'completed', 'failed', 'cancelled'] as const;

const NO_COUNTS = { waiting: 0, pending: 0, due: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 };

/**
 * The `stats` table: one row per job name and a total. A paused name without jobs has a row too,
 * with zero counts: a pause nobody sees is never resumed.
 */
export function formatStats(stats: QueueStats, paused: PausedState, now: Date): string {
  const pausedOnly = paused === 'all' ? [] : paused.filter((name) => !Object.hasOwn(stats.byName, name));
  const names = [...Object.keys(stats.byName), ...pausedOnly].sort();
  if (names.length === 0)
    return paused === 'all' ? 'no jobs\n\nevery job name is paused (monque resume --all)' : 'no jobs';
  const isPaused = (name: string): string => (paused === 'all' || paused.includes(name) ? 'yes' : 'no');
  const rows = names.map((name) => {
    const counts = Object.hasOwn(stats.byName, name) ? stats.byName[name] : { ...NO_COUNTS, oldestDueAt: null };
    if (!counts) return [visible(name)];
    return [
      visible(name),
      ...STATUS_COLUMNS.map((status) => String(counts[status])),
      counts.oldestDueAt ? formatDuration(now.getTime() - counts.oldestDueAt.getTime()) : '-',
      isPaused(name),
    ];
  });
  rows.push([
    'TOTAL',
    ...STATUS_COLUMNS.map((status) => String(stats.total[status])),
    '',
    paused === 'all' ? 'all' : '',
  ]);
  const table = formatTable(['NAME', ...STATUS_COLUMNS.map((s) => s.toUpperCase()), 'OLDEST DUE', 'PAUSED'], rows);
  return paused === 'all' ? `${table}\n\nevery job name is paused (monque resume --all)` : table;
}

/** The `list` table. */
export function formatJobList(jobs: readonly Job[]): string {
  if (jobs.length === 0) return 'no matching jobs';
  return formatTable(
    ['ID', 'NAME', 'STATUS', 'NEXT RUN', 'ATTEMPTS', 'FAILS', 'CREATED', 'FAIL REASON'],
    jobs.map((job) => [
      job._id.toHexString(),
      visible(job.name),
      job.status,
      formatTime(job.nextRunAt),
      String(job.attempts ?? 0),
      String(job.failCount),
      formatTime(job.createdAt),
      visible(job.failReason ?? ''),
    ]),
    48,
  );
}

function json(value: unknown): string {
  return visible(JSON.stringify(toJson(value), null, 2) ?? 'undefined', { multiline: true });
}

/** `text` as a block of lines, each indented by `indent` (unsafe characters escaped). */
function block(text: string, indent: string): string[] {
  return visible(text, { multiline: true })
    .split('\n')
    .map((line) => `${indent}${line}`);
}

/** The attempt history of `show`: one entry per failed attempt, oldest first, with its stack. */
export function formatAttempts(errors: NonNullable<Job['errors']>): string[] {
  const lines = [`attempt history (${errors.length} failed attempt${errors.length === 1 ? '' : 's'}, oldest first):`];
  for (const entry of errors) {
    const at = entry.at instanceof Date ? entry.at : new Date(entry.at);
    lines.push(
      `  #${visible(String(entry.attempt))}  ${formatTime(at)}  on ${visible(String(entry.instanceId))}  after ${formatDuration(entry.durationMs)}`,
      `    ${visible(entry.message)}`,
    );
    if (entry.stack) lines.push(...block(entry.stack, '      '));
  }
  return lines;
}

/** What `show` lists beside a job: its dependencies, its dependents and its flow's progress. */
export interface RelatedJobs {
  dependencies: Job[];
  dependents: Job[];
  flow?: { id: string; total: StatusCounts; size: number };
}

function relatedList(title: string, jobs: readonly Job[], expected: number): string[] {
  if (expected === 0) return [];
  const missing = expected - jobs.length;
  const rows = jobs.map((job) => [job._id.toHexString(), job.name, job.status]);
  return [
    '',
    `${title} (${expected}${missing > 0 ? `, ${missing} deleted` : ''}):`,
    ...formatTable(['ID', 'NAME', 'STATUS'], rows)
      .split('\n')
      .map((line) => `  ${line}`),
  ];
}

/**
 * The `show` output: one field per line, then data, result, progress and the attempt history, then
 * the job's dependencies and dependents with their statuses.
 */
export function formatJob(job: Job, related: RelatedJobs = { dependencies: [], dependents: [] }): string {
  const fields: Array<[string, string | undefined]> = [
    ['id', job._id.toHexString()],
    ['name', job.name],
    ['status', job.status],
    ['next run', formatTime(job.nextRunAt)],
    ['priority', job.priority === undefined ? undefined : String(job.priority)],
    ['attempts', String(job.attempts ?? 0)],
    ['fail count', String(job.failCount)],
    ['max retries', job.maxRetries === undefined ? undefined : String(job.maxRetries)],
    ['fail reason', job.failReason],
    ['cron', job.repeatInterval ? `${job.repeatInterval}${job.timezone ? ` (${job.timezone})` : ''}` : undefined],
    ['unique key', job.uniqueKey],
    ['group', job.group],
    ['owner', job.owner],
    ['locked at', job.lockedAt ? formatTime(job.lockedAt) : undefined],
    ['started at', job.startedAt ? formatTime(job.startedAt) : undefined],
    ['completed at', job.completedAt ? formatTime(job.completedAt) : undefined],
    ['finished at', job.finishedAt ? formatTime(job.finishedAt) : undefined],
    ['cancel requested', job.cancelRequestedAt ? formatTime(job.cancelRequestedAt) : undefined],
    ['cancel reason', job.cancelReason],
    ['on dependency failure', job.dependsOn ? (job.onDependencyFailure ?? 'cancel') : undefined],
    [
      'flow',
      related.flow
        ? `${related.flow.id} (${related.flow.total.completed} of ${related.flow.size} completed)`
        : undefined,
    ],
    [
      'dead letter of',
      job.deadLetterOf ? `${job.deadLetterOf.jobId.toHexString()} (${job.deadLetterOf.name})` : undefined,
    ],
    ['created at', formatTime(job.createdAt)],
    ['updated at', formatTime(job.updatedAt)],
  ];
  const present = fields.filter((field): field is [string, string] => field[1] !== undefined);
  const width = Math.max(...present.map(([label]) => label.length));
  const lines = present.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${visible(value)}`);
  lines.push('', 'data:', json(job.data));
  if (job.progress !== undefined) lines.push('', 'progress:', json(job.progress));
  if (job.result !== undefined) lines.push('', 'result:', json(job.result));
  if (job.errors?.length) lines.push('', ...formatAttempts(job.errors));
  lines.push(...relatedList('dependencies', related.dependencies, job.dependsOn?.length ?? 0));
  lines.push(...relatedList('dependents', related.dependents, job.dependents ?? 0));
  return lines.join('\n');
}
