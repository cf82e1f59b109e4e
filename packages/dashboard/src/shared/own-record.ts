/**
 * Objects keyed by text from users or from the database (data paths, job names, the keys of job
 * data) are built here, from entries, and never by `object[key] = value`: on a plain object that
 * assignment runs the `__proto__` setter for the key `__proto__` (the entry silently vanishes, or
 * the object's prototype is replaced), and `object[key] ??= …` finds `constructor` or `toString`
 * already there. `Object.fromEntries` defines every key as an own property, whatever its name.
 * Collect entries in a `Map` (or a list) first, then make the object once.
 */

/** An object with one own property per entry (`__proto__`, `constructor` … included); a later entry wins. */
export function recordOf<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  return Object.fromEntries(entries) as Record<string, V>;
}
