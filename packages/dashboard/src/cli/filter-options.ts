/**
 * The job filters shared by `list`, `retry`, `cancel`, `delete` and `purge`: `--name`, `--status`,
 * `--data path=value`, `--unique-key`, `--created-after`, `--created-before`.
 */
import type { JobQuery, JobStatusType } from '@monque/core';
import type { Command } from 'commander';
import { STATUSES } from '../api/job-filter.js';
import { DataFilters, parseDataFilter } from '../shared/data-filter.js';
import { parseIsoTime } from '../shared/iso-time.js';
import { parseDuration } from './duration.js';
import { UsageError } from './usage-error.js';

/** The parsed filter options of a command. */
export interface FilterOptions {
  name?: string[];
  status?: string[];
  data?: string[];
  uniqueKey?: string;
  createdAfter?: string;
  createdBefore?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Adds the filter options to `command`. */
export function addFilterOptions(command: Command): Command {
  return command
    .option('--name <name>', 'only jobs of this name (repeatable)', collect)
    .option(
      '--status <status>',
      `only jobs in this status: ${STATUSES.join(', ')} (repeatable, or comma-separated)`,
      collect,
    )
    .option(
      '--data <path=value>',
      'only jobs whose data field matches, e.g. customer.id=42 (numbers, true/false and null are typed; quote to force text: \'customer.id="42"\'; repeatable)',
      collect,
    )
    .option('--unique-key <key>', 'only the job with this unique key')
    .option(
      '--created-after <time>',
      'only jobs created at or after this time (ISO 8601: 2025-01-31 or 2025-01-31T12:00:00Z; or a duration ago: 2h, 7d)',
    )
    .option('--created-before <time>', 'only jobs created before this time (ISO 8601, or a duration ago)');
}

/**
 * A time given as ISO 8601 (`shared/iso-time.ts`, as the API reads it) or as a duration before now
 * (`2h` → two hours ago). Nothing else: a number without a unit (`7`, meant `7d`) is refused.
 */
export function parseTime(option: string, text: string, now: Date): Date {
  if (/^\d+(\.\d+)?(ms|s|m|h|d|w)$/.test(text.trim())) return new Date(now.getTime() - parseDuration(text));
  const parsed = parseIsoTime(text);
  if (parsed.ok) return parsed.value;
  const unit = /^\d+(\.\d+)?$/.test(text.trim()) ? `; a duration needs its unit, e.g. ${text.trim()}d` : '';
  throw new UsageError(`${option}: ${parsed.error}, or a duration ago such as 2h${unit}`);
}

/** Whether any filter option was given. */
export function hasFilter(options: FilterOptions): boolean {
  return Boolean(
    options.name?.length ||
      options.status?.length ||
      options.data?.length ||
      options.uniqueKey !== undefined ||
      options.createdAfter !== undefined ||
      options.createdBefore !== undefined,
  );
}

/** Builds the `JobQuery` of the filter options; a `UsageError` for a bad value. */
export function queryFromOptions(options: FilterOptions, now = new Date()): JobQuery {
  const query: JobQuery = {};
  if (options.name?.length) query.name = options.name.length === 1 ? options.name[0] : options.name;
  if (options.status?.length) {
    const statuses = options.status.flatMap((text) => text.split(',')).map((status) => status.trim());
    for (const status of statuses) {
      if (!(STATUSES as readonly string[]).includes(status)) {
        throw new UsageError(`--status: ${JSON.stringify(status)} is not one of ${STATUSES.join(', ')}`);
      }
    }
    const typed = statuses as JobStatusType[];
    query.status = typed.length === 1 ? typed[0] : typed;
  }
  if (options.data?.length) {
    const data = new DataFilters();
    for (const text of options.data) {
      const parsed = parseDataFilter(text);
      if (!parsed.ok) throw new UsageError(`--data: ${parsed.error}`);
      const added = data.add(parsed.value.path, parsed.value.value);
      if (!added.ok) throw new UsageError(`--data: ${added.error}`);
    }
    const dataQuery = data.toQueryData();
    if (dataQuery) query.data = dataQuery;
  }
  if (options.uniqueKey !== undefined) query.uniqueKey = options.uniqueKey;
  if (options.createdAfter !== undefined) query.createdAfter = parseTime('--created-after', options.createdAfter, now);
  if (options.createdBefore !== undefined) {
    query.createdBefore = parseTime('--created-before', options.createdBefore, now);
  }
  return query;
}
