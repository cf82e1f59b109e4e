/**
 * Colours for the demo's output: ANSI styles when writing to a terminal, plain text otherwise
 * (and whenever `NO_COLOR` is set).
 */

/** A function that styles one piece of text. */
export type Style = (text: string) => string;

/** The styles the demo uses. */
export interface Palette {
  readonly bold: Style;
  readonly dim: Style;
  readonly red: Style;
  readonly green: Style;
  readonly yellow: Style;
  readonly blue: Style;
  readonly magenta: Style;
  readonly cyan: Style;
}

function ansi(open: number, close: number): Style {
  return (text) => `\u001b[${open}m${text}\u001b[${close}m`;
}

const plain: Style = (text) => text;

/** A palette that styles text when `enabled`, and leaves it alone otherwise. */
export function createPalette(enabled: boolean): Palette {
  if (!enabled) {
    return {
      bold: plain,
      dim: plain,
      red: plain,
      green: plain,
      yellow: plain,
      blue: plain,
      magenta: plain,
      cyan: plain,
    };
  }
  return {
    bold: ansi(1, 22),
    dim: ansi(2, 22),
    red: ansi(31, 39),
    green: ansi(32, 39),
    yellow: ansi(33, 39),
    blue: ansi(34, 39),
    magenta: ansi(35, 39),
    cyan: ansi(36, 39),
  };
}

/** Whether `stream` should get colours: a terminal, and `NO_COLOR` unset. */
export function wantsColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

/** The length of `text` as shown on screen (ANSI styles removed). */
export function visibleLength(text: string): number {
  return stripStyles(text).length;
}

/** `text` without ANSI styles. */
export function stripStyles(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
