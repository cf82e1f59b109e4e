/**
 * Calls to the dashboard's JSON API. URLs are relative to the page (`api/…`), so the dashboard
 * works under any mount path. Changes are `POST` with a JSON body, as the server requires. Job
 * names always travel in the body (`queues/pause` `{ name }`), never in the path: a URL drops the
 * path segments `.` and `..`, and both are valid job names.
 */

/** An answer other than 2xx, with the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The change failed, yet may have been applied (a lost reply): its outcome is unknown. */
    readonly mayHaveBeenApplied = false,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The notice for a change that threw `error`: `"<what> failed: …"`, or, when the server says the
 * change may have been applied all the same, `"<what>: outcome unknown, …"` (never "failed").
 */
export function failureNotice(what: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return error instanceof ApiError && error.mayHaveBeenApplied
    ? `${what}: outcome unknown, ${message}`
    : `${what} failed: ${message}`;
}

async function parse<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { error: text.slice(0, 200) || response.statusText };
  }
  if (!response.ok) {
    const { error: message, mayHaveBeenApplied } = body as { error?: unknown; mayHaveBeenApplied?: unknown };
    throw new ApiError(
      response.status,
      typeof message === 'string' ? message : `HTTP ${response.status}`,
      mayHaveBeenApplied === true,
    );
  }
  return body as T;
}

/** `GET api/{path}` with the given query parameters. */
export async function apiGet<T>(path: string, params?: URLSearchParams): Promise<T> {
  const query = params?.toString();
  const response = await fetch(`api/${path}${query ? `?${query}` : ''}`, {
    headers: { Accept: 'application/json' },
    credentials: 'same-origin',
    cache: 'no-store',
  });
  return parse<T>(response);
}

/** `POST api/{path}` with a JSON body. */
export async function apiPost<T>(path: string, body: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`api/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify(body),
  });
  return parse<T>(response);
}
