/**
 * Retry, cancel or delete many jobs: the selected rows (the request names their ids), or else every
 * job matching the filters (the request is the parsed filter itself, or `{ all: true }` when there
 * is none). Disabled while the filter cannot be used or the count is not known: the confirmation
 * must say what it will touch.
 */
import { apiPost, failureNotice } from '../api.js';
import { bulkBody, describeFilters, type ParsedFilters } from '../filters.js';
import { formatExact } from '../format.js';
import { useNotices } from '../notices.js';
import type { ConfirmRequest } from './confirm-dialog.js';

type BulkAction = 'retry' | 'cancel' | 'delete';

const BULK: Record<BulkAction, { label: string; done: string; which: string; danger: boolean }> = {
  retry: { label: 'Retry', done: 'Retried', which: 'the failed and cancelled jobs', danger: false },
  cancel: { label: 'Cancel', done: 'Cancelled', which: 'the pending and running jobs', danger: true },
  delete: { label: 'Delete', done: 'Deleted', which: 'the jobs that are not running', danger: true },
};

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

export function BulkActions({
  parsed,
  count,
  selected,
  confirm,
  onDone,
}: {
  parsed: ParsedFilters;
  /** How many jobs match, once counted. */
  count: number | undefined;
  selected: readonly string[];
  confirm(request: ConfirmRequest): void;
  onDone(): void;
}) {
  const { notify } = useNotices();
  const bySelection = selected.length > 0;

  const run = (action: BulkAction): void => {
    const info = BULK[action];
    let body: Record<string, unknown>;
    let message: string;
    if (bySelection) {
      body = { ids: [...selected] };
      message = `${info.label} ${info.which} among the ${plural(selected.length, 'selected job')}.`;
    } else {
      if (!parsed.ok || count === undefined) return;
      body = bulkBody(parsed);
      message = `${info.label} ${info.which} among the ${plural(count, 'job')} matching ${describeFilters(parsed, formatExact)}.`;
    }
    confirm({
      title: `${info.label} ${bySelection ? 'selected' : 'matching'} jobs?`,
      message,
      confirmLabel: `${info.label} jobs`,
      danger: info.danger,
      onConfirm: async () => {
        try {
          const result = await apiPost<{ count: number }>(`jobs/${action}`, body);
          notify('success', `${info.done} ${plural(result.count, 'job')}`);
        } catch (error) {
          notify('error', failureNotice(info.label, error));
        }
        onDone();
      },
    });
  };

  const disabled = bySelection ? false : !parsed.ok || count === undefined || count === 0;
  return (
    <fieldset class="bulk">
      <legend class="visually-hidden">
        {bySelection ? 'Bulk actions on the selected jobs' : 'Bulk actions on the matching jobs'}
      </legend>
      {(Object.keys(BULK) as BulkAction[]).map((action) => (
        <button
          type="button"
          key={action}
          class={BULK[action].danger ? 'danger-outline' : ''}
          disabled={disabled}
          onClick={() => run(action)}
        >
          {BULK[action].label} {bySelection ? `selected (${selected.length})` : 'matching…'}
        </button>
      ))}
    </fieldset>
  );
}
