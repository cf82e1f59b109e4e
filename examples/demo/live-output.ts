/**
 * The demo's screen: lines that scroll (events, messages) above a live region (the status table)
 * that is redrawn in place on a terminal. When the output is not a terminal (a pipe, a file, a
 * test), nothing is redrawn: lines are written once, in order, and the region is not drawn at all.
 */
import { stripStyles, visibleLength } from './palette.js';

/** Writes scrolling lines and, on a terminal, a live region below them. */
export class LiveOutput {
  private region: string[] = [];
  private drawnLines = 0;

  /**
   * @param stream - where to write (usually `process.stdout`)
   * @param interactive - redraw the live region in place (only on a terminal)
   */
  constructor(
    private readonly stream: NodeJS.WriteStream,
    readonly interactive: boolean,
  ) {}

  /** Prints `line` (may hold several lines) above the live region. */
  print(line = ''): void {
    if (!this.interactive) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.stream.write(`${this.eraseRegion()}${line}\n${this.renderRegion()}`);
  }

  /** Replaces the live region (ignored when not interactive). */
  setRegion(lines: readonly string[]): void {
    if (!this.interactive) return;
    this.stream.write(this.eraseRegion());
    this.region = [...lines];
    this.stream.write(this.renderRegion());
  }

  /** Removes the live region from the screen and forgets it. */
  clearRegion(): void {
    if (!this.interactive) return;
    this.stream.write(this.eraseRegion());
    this.region = [];
  }

  private eraseRegion(): string {
    if (this.drawnLines === 0) return '';
    const sequence = `\u001b[${this.drawnLines}F\u001b[0J`;
    this.drawnLines = 0;
    return sequence;
  }

  private renderRegion(): string {
    const columns = Math.max(20, (this.stream.columns ?? 80) - 1);
    const lines = this.region.map((line) => fitToWidth(line, columns));
    this.drawnLines = lines.length;
    return lines.map((line) => `${line}\n`).join('');
  }
}

/** Cuts `line` to `columns` visible characters so that one region line is one screen line. */
function fitToWidth(line: string, columns: number): string {
  if (visibleLength(line) <= columns) return line;
  return `${stripStyles(line).slice(0, columns - 1)}…`;
}
