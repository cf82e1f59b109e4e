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
  ) {
    super(message);
    this.name = 'ApiError';
  }
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
    const message = (body as { error?: unknown }).error;
    throw new ApiError(response.status, typeof message === 'string' ? message : `HTTP ${response.status}`);
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
