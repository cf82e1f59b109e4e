/** The job list's filter form: name, status, one data field, created time range. */
import { useEffect, useState } from 'preact/hooks';
import { dataFilterError, type JobFilters } from '../filters.js';
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
  useEffect(
    () => setDraft(filters),
    [filters.name, filters.status, filters.data, filters.createdAfter, filters.createdBefore],
  );
  const dataError = dataFilterError(draft.data);
  const set = (key: keyof JobFilters) => (event: Event) =>
    setDraft({ ...draft, [key]: (event.currentTarget as HTMLInputElement).value });

  return (
    <form
      class="filters"
      aria-label="Job filters"
      onSubmit={(event) => {
        event.preventDefault();
        if (!dataError) onApply(draft);
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
      <label>
        <span>Status</span>
        <select name="status" value={draft.status} onChange={set('status')}>
          <option value="">any</option>
          {STATUSES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </label>
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
        <button type="submit" class="primary" disabled={Boolean(dataError)}>
          Apply filters
        </button>
        <button
          type="button"
          onClick={() => onApply({ name: '', status: '', data: '', createdAfter: '', createdBefore: '' })}
        >
          Clear
        </button>
      </div>
    </form>
  );
}
