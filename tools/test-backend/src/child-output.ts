/**
 * Waits for a child process to announce something on its output (a line like `KEY=value`).
 */
import type { ChildProcess } from 'node:child_process';

/**
 * Resolves with the first capture of `pattern` in the child's stdout/stderr. Rejects when the
 * child exits first, or after `timeoutMs` (then the child is killed). `what` names the child in
 * error messages.
 */
export function waitForOutput(child: ChildProcess, pattern: RegExp, what: string, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let output = '';
    const finish = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    const timer = setTimeout(() => {
      finish();
      child.kill('SIGKILL');
      reject(new Error(`${what} was not ready within ${timeoutMs} ms; output: ${output.trim()}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match?.[1]) {
        finish();
        resolve(match[1]);
      }
    };
    const onExit = (code: number | null): void => {
      finish();
      reject(new Error(`${what} exited with code ${code} before it was ready; output: ${output.trim()}`));
    };
    const onError = (error: Error): void => {
      finish();
      reject(error);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
