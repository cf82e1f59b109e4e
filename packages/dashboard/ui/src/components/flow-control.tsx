/**
 * Flow control on the overview: for each job name with limits, the limits its workers run with,
 * how many due jobs they hold back now, and its busiest groups (running, due, held back).
 */
import { apiGet } from '../api.js';
import { formatDuration } from '../format.js';
import { usePolled } from '../refresh.js';
import { jobsHash } from '../router.js';
import type { FlowLimitsJson, GroupStatsJson, NameStats } from '../types.js';

/** The limits in words: `at most 20 running · 2 per group · 100 starts per 1m`. */
export function limitsText(limits: FlowLimitsJson): string {
  const parts: string[] = [];
  if (limits.globalConcurrency !== undefined) parts.push(`at most ${limits.globalConcurrency} running`);
  if (limits.groupConcurrency !== undefined) parts.push(`${limits.groupConcurrency} per group`);
  if (limits.rateLimit) {
    const { max, duration, perGroup } = limits.rateLimit;
    parts.push(`${max} starts per ${formatDuration(duration)}${perGroup ? ' per group' : ''}`);
  }
  return parts.join(' · ');
}

function BusiestGroups({ name }: { name: string }) {
  const groups = usePolled(
    () => apiGet<{ groups: GroupStatsJson[] }>('queues/groups', new URLSearchParams({ name, limit: '5' })),
    `groups:${name}`,
  );
  if (groups.error) return <p class="error-text">Could not load the groups: {groups.error.message}</p>;
  const rows = groups.data?.groups ?? [];
  if (groups.data && rows.length === 0) return <p class="muted">No pending or running jobs with a group.</p>;
  return (
    <div class="table-wrap">
      <table class="groups">
        <caption class="visually-hidden">Busiest groups of {name}</caption>
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col" class="num">
              Running
            </th>
            <th scope="col" class="num">
              Due
            </th>
            <th scope="col" class="num">
              Held by a limit
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.group} data-group={row.group}>
              <th scope="row">
                <a href={jobsHash(new URLSearchParams({ name, group: row.group }))}>{row.group}</a>
              </th>
              <td class="num">{row.processing}</td>
              <td class="num">{row.due}</td>
              <td class="num">{row.limited}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One card per job name with flow-control limits. */
export function FlowControl({ byName }: { byName: Record<string, NameStats> }) {
  const limited = Object.keys(byName)
    .sort()
    .filter((name) => byName[name]?.limits);
  if (limited.length === 0) return null;
  return (
    <section aria-labelledby="flow-title">
      <h2 id="flow-title">Flow control</h2>
      {limited.map((name) => {
        const stats = byName[name] as NameStats;
        return (
          <div class="flow-card" key={name} data-name={name}>
            <h3>{name}</h3>
            <p>
              {limitsText(stats.limits as FlowLimitsJson)} (all instances together). <strong>{stats.limited}</strong>{' '}
              due {stats.limited === 1 ? 'job waits' : 'jobs wait'} on a limit.
            </p>
            <BusiestGroups name={name} />
          </div>
        );
      })}
    </section>
  );
}
