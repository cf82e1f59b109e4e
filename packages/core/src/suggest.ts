/**
 * "Did you mean …?" for misspelt option names: the known name closest to what was typed.
 */

/** Names people reach for that mean one of ours. */
const ALIASES: Readonly<Record<string, string>> = {
  concurrency: 'defaultConcurrency',
  retries: 'maxRetries',
  attempts: 'maxRetries',
  maxattempts: 'maxRetries',
  retrydelay: 'baseRetryInterval',
  backoff: 'baseRetryInterval',
  collection: 'collectionName',
  interval: 'pollInterval',
  processevery: 'pollInterval',
  locklifetime: 'lockTimeout',
  timeout: 'shutdownTimeout',
};

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0] as number;
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] as number) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length] as number;
}

/**
 * The hint for an unknown option `key`: ` (did you mean 'x'?)` for a close known name, otherwise
 * the list of known names.
 */
export function suggestOption(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const alias = ALIASES[lower];
  if (alias && known.includes(alias)) return ` (did you mean '${alias}'?)`;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const candidate = name.toLowerCase();
    const distance =
      candidate === lower
        ? 0
        : candidate.includes(lower) || lower.includes(candidate)
          ? 1
          : editDistance(lower, candidate);
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (best && best.distance <= Math.max(2, Math.floor(key.length / 3))) return ` (did you mean '${best.name}'?)`;
  return ` (known options: ${known.join(', ')})`;
}
