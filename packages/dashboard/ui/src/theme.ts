/** Light and dark mode: the system's choice by default, or the one picked with the toggle (remembered). */
import { useEffect, useState } from 'preact/hooks';

export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'monque-theme';

function stored(): ThemeChoice {
  const value = window.localStorage.getItem(KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

/** Whether the page shows dark colours now. */
export function isDark(choice: ThemeChoice): boolean {
  return choice === 'dark' || (choice === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);
}

/** The theme choice, applied as `data-theme` on `<html>`; `effective` follows system changes. */
export function useTheme(): { choice: ThemeChoice; effective: 'light' | 'dark'; setChoice(choice: ThemeChoice): void } {
  const [choice, setChoice] = useState<ThemeChoice>(stored);
  const [systemDark, setSystemDark] = useState(() => window.matchMedia('(prefers-color-scheme: dark)').matches);
  useEffect(() => {
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = (): void => setSystemDark(query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  useEffect(() => {
    if (choice === 'system') {
      window.localStorage.removeItem(KEY);
      document.documentElement.removeAttribute('data-theme');
    } else {
      window.localStorage.setItem(KEY, choice);
      document.documentElement.setAttribute('data-theme', choice);
    }
  }, [choice]);
  const effective = choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
  return { choice, effective, setChoice };
}
