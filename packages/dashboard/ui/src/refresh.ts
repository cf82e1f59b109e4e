/**
 * Auto-refresh by polling: a counter that ticks every `REFRESH_INTERVAL_MS` while enabled and the
 * tab is visible; views re-fetch when it changes. Changes made from the UI tick it at once.
 */
import { createContext } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api.js';

/** How often data is refreshed. */
export const REFRESH_INTERVAL_MS = 5000;

export interface RefreshState {
  tick: number;
  auto: boolean;
  setAuto(auto: boolean): void;
  refreshNow(): void;
  lastUpdated: Date | null;
  markUpdated(): void;
}

export const RefreshContext = createContext<RefreshState>({
  tick: 0,
  auto: true,
  setAuto: () => {},
  refreshNow: () => {},
  lastUpdated: null,
  markUpdated: () => {},
});

/** The refresh state for the provider at the top of the app. */
export function useRefreshState(): RefreshState {
  const [tick, setTick] = useState(0);
  const [auto, setAuto] = useState(() => window.localStorage.getItem('monque-auto-refresh') !== 'off');
  const [lastUpdated, setLastUpdated] = useState<Date | null>(null);
  useEffect(() => {
    window.localStorage.setItem('monque-auto-refresh', auto ? 'on' : 'off');
    if (!auto) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') setTick((value) => value + 1);
    }, REFRESH_INTERVAL_MS);
    return () => window.clearInterval(timer);
  }, [auto]);
  return {
    tick,
    auto,
    setAuto,
    refreshNow: () => setTick((value) => value + 1),
    lastUpdated,
    markUpdated: () => setLastUpdated(new Date()),
  };
}

export const useRefresh = (): RefreshState => useContext(RefreshContext);

/** The result of a fetch that repeats on every refresh tick and when `key` changes. */
export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
}

/** Runs `load` now, on every tick and whenever `key` changes; keeps the last data while reloading. */
export function usePolled<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const { tick, markUpdated } = useRefresh();
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: undefined, loading: true });
  const loadRef = useRef(load);
  loadRef.current = load;
  const keyRef = useRef(key);
  useEffect(() => {
    let current = true;
    if (keyRef.current !== key) {
      keyRef.current = key;
      setState({ data: undefined, error: undefined, loading: true });
    }
    loadRef.current().then(
      (data) => {
        if (!current) return;
        setState({ data, error: undefined, loading: false });
        markUpdated();
      },
      (error: unknown) => {
        if (!current) return;
        setState((previous) => ({
          data: previous.data,
          error: error instanceof Error ? error : new Error(String(error)),
          loading: false,
        }));
      },
    );
    return () => {
      current = false;
    };
  }, [key, tick]);
  return state;
}
