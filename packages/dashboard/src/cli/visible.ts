/**
 * Text from the database (job names, data, fail reasons, stack traces) made safe to print on a
 * terminal: control characters, which a terminal would obey (colours, cursor moves, a cleared
 * screen, a changed window title, an overwritten line), and the invisible characters that reorder
 * or hide text are shown as visible escapes (`\x1b`, `\u202e`) instead.
 */

// C0 controls but tab and line feed, DEL, C1 controls, the line and paragraph separators, and the
// bidirectional and zero-width formatting characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  if (char === '\r') return '\\r';
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every unsafe character written as an escape. Line feeds and tabs are escaped too
 * (`\n`, `\t`) unless `multiline`, for text printed as a block of lines.
 */
export function visible(text: string, { multiline = false }: { multiline?: boolean } = {}): string {
  const escaped = text.replace(UNSAFE, escapeChar);
  return multiline ? escaped : escaped.replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
