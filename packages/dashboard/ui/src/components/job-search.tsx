/** Find a job by its id from any view: paste an id (or a link to a job) and go to its page. */
import { useState } from 'preact/hooks';
import { navigate } from '../router.js';

/** The job id in `text`: 24 hexadecimal digits, alone or inside a pasted link. */
export function jobIdIn(text: string): string | undefined {
  const match = /(?:^|[^0-9a-f])([0-9a-f]{24})(?:$|[^0-9a-f])/i.exec(text.trim());
  return match?.[1]?.toLowerCase();
}

export function JobSearch() {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  return (
    <search class="job-search-area" aria-label="Find a job by id">
      <form
        class="job-search"
        onSubmit={(event) => {
          event.preventDefault();
          const id = jobIdIn(text);
          if (!id) {
            setProblem('A job id is 24 hexadecimal digits');
            return;
          }
          setProblem(undefined);
          setText('');
          navigate(`#/jobs/${id}`);
        }}
      >
        <input
          type="search"
          name="job-id"
          value={text}
          onInput={(event) => {
            setText(event.currentTarget.value);
            setProblem(undefined);
          }}
          placeholder="Job id…"
          aria-label="Job id"
          aria-invalid={problem ? 'true' : 'false'}
          aria-describedby={problem ? 'job-search-problem' : undefined}
          spellcheck={false}
          autocomplete="off"
        />
        <button type="submit">Find</button>
        {problem && (
          <span id="job-search-problem" class="error-text search-problem" role="alert">
            {problem}
          </span>
        )}
      </form>
    </search>
  );
}
