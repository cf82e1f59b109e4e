/** Plain-text tables for the terminal: columns padded to their widest cell. */
import { visible } from './visible.js';

/**
 * Formats `rows` under `headers`; cells longer than `maxWidth` are cut with an ellipsis. Every cell
 * is escaped (`visible`), whatever its source: a field set by a raw database write is text from the
 * database too (escaping escaped text changes nothing).
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], maxWidth = 60): string {
  const cut = (cell: string): string => {
    const flat = visible(cell).replace(/\s+/g, ' ');
    return flat.length > maxWidth ? `${flat.slice(0, maxWidth - 1)}…` : flat;
  };
  const cells = [headers.map(cut), ...rows.map((row) => row.map(cut))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
