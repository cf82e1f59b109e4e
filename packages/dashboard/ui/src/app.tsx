/**
 * The page: header (navigation, find a job by id, auto-refresh, theme, the time zone times are
 * shown in), the current view, notices and the confirmation dialog.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { apiGet } from './api.js';
import { ConfirmDialog, type ConfirmRequest } from './components/confirm-dialog.js';
import { JobDetail } from './components/job-detail.js';
import { JobList } from './components/job-list.js';
import { JobSearch } from './components/job-search.js';
import { Overview } from './components/overview.js';
import { Schedules } from './components/schedules.js';
import { formatTime, TIME_ZONE, zoneOffset } from './format.js';
import { NoticesContext, useNoticesState } from './notices.js';
import { REFRESH_INTERVAL_MS, RefreshContext, usePolled, useRefreshState } from './refresh.js';
import { useRoute } from './router.js';
import { type ThemeChoice, useTheme } from './theme.js';

const NEXT_THEME: Record<ThemeChoice, ThemeChoice> = { system: 'dark', dark: 'light', light: 'system' };

function Config({ children }: { children: (readOnly: boolean) => JSX.Element }) {
  const config = usePolled(() => apiGet<{ readOnly: boolean }>('config'), 'config');
  if (config.error)
    return (
      <p class="error-text" role="alert">
        The dashboard API does not answer: {config.error.message}
      </p>
    );
  if (!config.data) return <p>Loading…</p>;
  return children(config.data.readOnly);
}

export function App() {
  const refresh = useRefreshState();
  const notices = useNoticesState();
  const theme = useTheme();
  const route = useRoute();
  const [confirmRequest, setConfirmRequest] = useState<ConfirmRequest | null>(null);

  return (
    <RefreshContext.Provider value={refresh}>
      <NoticesContext.Provider value={notices}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="#/">
            Monque
          </a>
          <nav aria-label="Views">
            <a href="#/" aria-current={route.view === 'overview' ? 'page' : undefined}>
              Overview
            </a>
            <a href="#/jobs" aria-current={route.view === 'jobs' || route.view === 'job' ? 'page' : undefined}>
              Jobs
            </a>
            <a href="#/schedules" aria-current={route.view === 'schedules' ? 'page' : undefined}>
              Schedules
            </a>
          </nav>
          <JobSearch />
          <div class="tools">
            <label class="toggle">
              <input
                type="checkbox"
                checked={refresh.auto}
                onChange={(event) => refresh.setAuto(event.currentTarget.checked)}
              />
              <span>Auto-refresh ({REFRESH_INTERVAL_MS / 1000} s)</span>
            </label>
            <button type="button" onClick={refresh.refreshNow}>
              Refresh
            </button>
            <button
              type="button"
              onClick={() => theme.setChoice(NEXT_THEME[theme.choice])}
              aria-label={`Colour theme: ${theme.choice}. Switch to ${NEXT_THEME[theme.choice]}`}
              title="Switch colour theme"
            >
              Theme: {theme.choice}
            </button>
            <span class="updated subtle" aria-live="off">
              {refresh.lastUpdated ? `Updated ${formatTime(refresh.lastUpdated.toISOString()).slice(11)}` : ''}
            </span>
            <span class="zone subtle" title={`Times are shown in ${TIME_ZONE}`}>
              Times: {TIME_ZONE === zoneOffset(new Date()) ? TIME_ZONE : `${TIME_ZONE} (${zoneOffset(new Date())})`}
            </span>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          <Config>
            {(readOnly) => (
              <>
                {readOnly && (
                  <p class="banner" role="note">
                    Read-only: changes are disabled on this dashboard.
                  </p>
                )}
                {route.view === 'overview' && <Overview readOnly={readOnly} theme={theme.effective} />}
                {route.view === 'jobs' && (
                  <JobList params={route.params} readOnly={readOnly} confirm={setConfirmRequest} />
                )}
                {route.view === 'job' && <JobDetail id={route.id} readOnly={readOnly} confirm={setConfirmRequest} />}
                {route.view === 'schedules' && <Schedules readOnly={readOnly} confirm={setConfirmRequest} />}
                {route.view === 'not-found' && (
                  <section>
                    <h1>Not found</h1>
                    <p>
                      Nothing at {route.path}. <a href="#/">Go to the overview</a>.
                    </p>
                  </section>
                )}
              </>
            )}
          </Config>
        </main>
        <div class="notices" role="status" aria-live="polite">
          {notices.notices.map((notice) => (
            <div key={notice.id} class={`notice ${notice.kind}`}>
              <span>{notice.text}</span>
              <button type="button" aria-label="Dismiss" onClick={() => notices.dismiss(notice.id)}>
                ×
              </button>
            </div>
          ))}
        </div>
        <ConfirmDialog request={confirmRequest} onClose={() => setConfirmRequest(null)} />
      </NoticesContext.Provider>
    </RefreshContext.Provider>
  );
}
