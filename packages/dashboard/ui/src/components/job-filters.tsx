/**
 * The job list's filter form: name, statuses (several at once), one data field, unique key, group
 * and the creation time range. The draft is parsed as typed with the same rules as the list, so a
 * filter that cannot be used is shown as such and cannot be applied.
 */
import { useEffect, useState } from 'preact/hooks';
import { type JobFilters, NO_FILTERS, parseFilters } from '../filters.js';
import { fromLocalInput, toLocalInput } from '../format.js';
import { STATUSES } from '../types.js';

export function JobFiltersForm({
  filters,
  names,
  onApply,
}: {
  filters: JobFilters;
  names: readonly string[];
  onApply(filters: JobFilters): void;
}) {
  const [draft, setDraft] = useState(filters);
  // Open on wide screens; on a phone the form starts folded so the jobs come first.
  const [open, setOpen] = useState(() => !window.matchMedia('(max-width: 700px)').matches);
  const active = Object.values(filters).filter(Boolean).length;
  const key = JSON.stringify(filters);
  // The draft follows the applied filters, compared by value.
  useEffect(() => setDraft(filters), [key]);
  const parsed = parseFilters(draft);
  const errors = parsed.ok ? [] : parsed.errors;
  const dataError = errors.find((error) => error.startsWith('data: '));
  const statuses = draft.status ? draft.status.split(',') : [];
  const set = (field: keyof JobFilters) => (event: Event) =>
    setDraft({ ...draft, [field]: (event.currentTarget as HTMLInputElement).value });
  const toggleStatus = (status: string, on: boolean): void => {
    const next = STATUSES.filter((candidate) => (candidate === status ? on : statuses.includes(candidate)));
    setDraft({ ...draft, status: next.join(',') });
  };

  return (
    <details
      class="filters-panel"
      open={open}
      onToggle={(event) => setOpen((event.currentTarget as HTMLDetailsElement).open)}
    >
      <summary>Filters{active > 0 ? ` (${active} set)` : ''}</summary>
      <form
        class="filters"
        aria-label="Job filters"
        onSubmit={(event) => {
          event.preventDefault();
          if (parsed.ok) onApply(draft);
        }}
      >
        <label>
          <span>Name</span>
          <input type="text" name="name" list="job-names" value={draft.name} onInput={set('name')} placeholder="any" />
          <datalist id="job-names">
            {names.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </label>
        <fieldset class="statuses">
          <legend>Status</legend>
          <div class="status-choices">
            {STATUSES.map((status) => (
              <label key={status} class="check">
                <input
                  type="checkbox"
                  name="status"
                  value={status}
                  checked={statuses.includes(status)}
                  onChange={(event) => toggleStatus(status, event.currentTarget.checked)}
                />
                <span>{status}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <label class="wide">
          <span>Data field</span>
          <input
            type="text"
            name="data"
            value={draft.data}
            onInput={set('data')}
            placeholder="customer.id = 42"
            aria-invalid={dataError ? 'true' : 'false'}
            aria-describedby="data-help"
          />
          <small id="data-help" class={dataError ? 'error-text' : 'hint'}>
            {dataError ?? 'path = value; numbers, true/false and null are typed, "quotes" force text'}
          </small>
        </label>
        <label>
          <span>Unique key</span>
          <input type="text" name="uniqueKey" value={draft.uniqueKey} onInput={set('uniqueKey')} placeholder="any" />
        </label>
        <label>
          <span>Group</span>
          <input type="text" name="group" value={draft.group} onInput={set('group')} placeholder="any" />
        </label>
        <label>
          <span>Created after</span>
          <input
            type="datetime-local"
            name="createdAfter"
            value={toLocalInput(draft.createdAfter)}
            onInput={(event) => setDraft({ ...draft, createdAfter: fromLocalInput(event.currentTarget.value) ?? '' })}
          />
        </label>
        <label>
          <span>Created before</span>
          <input
            type="datetime-local"
            name="createdBefore"
            value={toLocalInput(draft.createdBefore)}
            onInput={(event) => setDraft({ ...draft, createdBefore: fromLocalInput(event.currentTarget.value) ?? '' })}
          />
        </label>
        <div class="filter-buttons">
          <button type="submit" class="primary" disabled={!parsed.ok}>
            Apply filters
          </button>
          <button type="button" onClick={() => onApply(NO_FILTERS)}>
            Clear
          </button>
        </div>
      </form>
    </details>
  );
}
