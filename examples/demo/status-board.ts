/**
 * The live view of the jobs collection: counts per status and a small table of jobs, read from the
 * database every ~500 ms. On a terminal it is redrawn in place below the events; otherwise a plain
 * line of counts is printed whenever the counts change.
 */
import type { Collection } from 'mongodb';
import { type Job, JobStatus } from '../../packages/core/src/index.js';
import { formatDuration, formatElapsed, shortId } from './format.js';
import type { LiveOutput } from './live-output.js';
import type { Palette } from './palette.js';

/** How many jobs are in each status (pending split into due now and due later). */
export interface StatusCounts {
  readonly pending: number;
  /** Pending jobs not due yet (delayed, retry backoff, the cron schedule). */
  readonly later: number;
  readonly processing: number;
  readonly completed: number;
  readonly failed: number;
}

/** Counts `jobs` per status at `now`. */
export function countByStatus(jobs: readonly Job[], now: Date): StatusCounts {
  const count = (status: Job['status']): number => jobs.filter((job) => job.status === status).length;
  return {
    pending: count(JobStatus.PENDING),
    later: jobs.filter((job) => job.status === JobStatus.PENDING && job.nextRunAt.getTime() > now.getTime()).length,
    processing: count(JobStatus.PROCESSING),
    completed: count(JobStatus.COMPLETED),
    failed: count(JobStatus.FAILED),
  };
}

/** The counts as one line. */
export function formatCounts(counts: StatusCounts, palette: Palette): string {
  return [
    palette.blue(`pending ${counts.pending}`) + palette.dim(` (${counts.later} due later)`),
    palette.cyan(`processing ${counts.processing}`),
    palette.green(`completed ${counts.completed}`),
    palette.red(`failed ${counts.failed}`),
  ].join(palette.dim(' │ '));
}

/** What the board needs. */
export interface StatusBoardDeps {
  readonly jobs: Collection<Job>;
  readonly out: LiveOutput;
  readonly palette: Palette;
  readonly startedAt: number;
  /** @defaultValue 500 */
  readonly intervalMs?: number;
}

/** Finished jobs shown in the table (older ones are summarised in one line). */
const FINISHED_ROWS = 6;

/** Reads the collection periodically and shows it. */
export class StatusBoard {
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  private lastPlainLine = '';
  private running = false;

  constructor(private readonly deps: StatusBoardDeps) {}

  /** Every job of the demo, oldest first. */
  async snapshot(): Promise<Job[]> {
    return this.deps.jobs.find({}).sort({ createdAt: 1, _id: 1 }).toArray();
  }

  /** Starts refreshing. */
  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** Stops refreshing, waits for a read in flight and removes the table from the screen. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.refreshing;
    this.deps.out.clearRegion();
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => {
      this.refreshing = this.refresh().finally(() => {
        if (this.running) this.schedule(this.deps.intervalMs ?? 500);
      });
    }, delay);
  }

  private async refresh(): Promise<void> {
    let jobs: Job[];
    try {
      jobs = await this.snapshot();
    } catch (error) {
      this.deps.out.setRegion([this.deps.palette.red(`status unavailable: ${(error as Error).message}`)]);
      return;
    }
    if (!this.running) return;
    const now = new Date();
    const counts = formatCounts(countByStatus(jobs, now), this.deps.palette);
    if (this.deps.out.interactive) {
      this.deps.out.setRegion(this.table(jobs, counts, now));
      return;
    }
    if (counts === this.lastPlainLine) return;
    this.lastPlainLine = counts;
    this.deps.out.print(`${formatElapsed(this.deps.startedAt)} STATUS   ${counts}`);
  }

  private table(jobs: readonly Job[], counts: string, now: Date): string[] {
    const { palette } = this.deps;
    const active = jobs.filter((job) => job.status === JobStatus.PENDING || job.status === JobStatus.PROCESSING);
    const finished = jobs.filter((job) => job.status === JobStatus.COMPLETED || job.status === JobStatus.FAILED);
    const shown = [...active, ...finished.slice(-FINISHED_ROWS)];
    const lines = [
      palette.bold('── jobs ') + palette.dim('─'.repeat(62)),
      ` ${counts}`,
      palette.dim(` ${'name'.padEnd(16)} ${'id'.padEnd(8)} ${'status'.padEnd(11)} ${'fails'.padEnd(6)} due`),
      ...shown.map((job) => this.row(job, now)),
    ];
    const hidden = finished.length - Math.min(finished.length, FINISHED_ROWS);
    if (hidden > 0) lines.push(palette.dim(` … and ${hidden} older finished job(s)`));
    lines.push(palette.dim(' Ctrl-C stops gracefully (running jobs are allowed to finish)'));
    return lines;
  }

  private row(job: Job, now: Date): string {
    const { palette } = this.deps;
    const colour = {
      waiting: palette.dim,
      pending: palette.blue,
      processing: palette.cyan,
      completed: palette.green,
      failed: palette.red,
      cancelled: palette.dim,
    }[job.status];
    const wait = job.nextRunAt.getTime() - now.getTime();
    const due =
      job.status !== JobStatus.PENDING
        ? ''
        : wait > 0
          ? `in ${formatDuration(wait)}${job.repeatInterval ? ` (cron '${job.repeatInterval}')` : ''}`
          : 'now';
    const name = job.name.padEnd(16);
    return ` ${name} ${shortId(job._id).padEnd(8)} ${colour(job.status.padEnd(11))} ${String(job.failCount).padEnd(6)} ${palette.dim(due)}`;
  }
}
