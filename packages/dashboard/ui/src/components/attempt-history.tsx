/**
 * A job's failed attempts (`job.errors`), newest first: when, on which instance, how long it ran,
 * the message, and the stack trace folded away until asked for.
 */
import { formatDuration } from '../format.js';
import type { JobErrorJson } from '../types.js';
import { Time } from './time.js';

export function AttemptHistory({ errors, now }: { errors: readonly JobErrorJson[]; now: number }) {
  const newestFirst = [...errors].reverse();
  return (
    <div class="block attempts">
      <h2>
        Attempt history <span class="subtle">({errors.length} failed, newest first)</span>
      </h2>
      <ol class="attempt-list" reversed>
        {newestFirst.map((entry, index) => (
          <li key={`${entry.attempt}-${entry.at}-${index}`} class="attempt">
            <p class="attempt-head">
              <span class="badge status-failed">attempt {entry.attempt}</span> <Time iso={entry.at} now={now} exact />
            </p>
            <p class="attempt-meta subtle">
              on <span class="mono">{entry.instanceId}</span> · ran {formatDuration(entry.durationMs)}
            </p>
            <pre class="json attempt-message">{entry.message}</pre>
            {entry.stack && (
              <details class="stack">
                <summary>Stack trace</summary>
                <pre class="json">{entry.stack}</pre>
              </details>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}
