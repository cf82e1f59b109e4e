/** Messages after an action (“Retried 3 jobs”, or the server's error), shown in a live region. */
import { createContext } from 'preact';
import { useCallback, useContext, useState } from 'preact/hooks';

export interface Notice {
  id: number;
  kind: 'success' | 'error';
  text: string;
}

export interface Notices {
  notices: Notice[];
  notify(kind: Notice['kind'], text: string): void;
  dismiss(id: number): void;
}

export const NoticesContext = createContext<Notices>({ notices: [], notify: () => {}, dismiss: () => {} });

let nextId = 1;

/** The notices state for the provider at the top of the app; successes fade after 6 s. */
export function useNoticesState(): Notices {
  const [notices, setNotices] = useState<Notice[]>([]);
  const dismiss = useCallback((id: number) => setNotices((list) => list.filter((notice) => notice.id !== id)), []);
  const notify = useCallback(
    (kind: Notice['kind'], text: string) => {
      const id = nextId++;
      setNotices((list) => [...list.slice(-3), { id, kind, text }]);
      if (kind === 'success') window.setTimeout(() => dismiss(id), 6000);
    },
    [dismiss],
  );
  return { notices, notify, dismiss };
}

export const useNotices = (): Notices => useContext(NoticesContext);
