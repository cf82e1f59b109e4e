/**
 * Finds out whether a backlogged name that has not been seen with groups has grouped jobs hidden
 * behind its older jobs without a group.
 *
 * Grouped-ness is learnt from what the claim reads return, and a read of a name's due jobs in claim
 * order (priority, then due time) is filled by its oldest jobs: when those have no group, a grouped
 * job behind them would never be seen, and would wait for the whole older backlog (the fairness the
 * guide promises, "the jobs without a group are one more turn of the round", would not hold). So a
 * name whose last claim was full (a backlog) and that is not known to have groups is probed with
 * one read of at most one due grouped job (index `monque_claim_group`), at most once per
 * {@link PROBE_INTERVAL} per name on the instance's clock, in parallel with the turn's claim (no
 * round trip added). A name with a quiet queue, or one already known to have groups, is never
 * probed; a plain drain pays at most one small read per second per backlogged name.
 *
 * Bound: a grouped job behind a backlog of jobs without a group starts within one probe interval
 * plus two claim turns (the probing turn, then the turn that reads the name's groups: a name found
 * grouped starts its round with the groups), and behind a backlog present when the worker starts,
 * within three turns (the first full turn makes the name backlogged, the second probes, the third
 * takes the grouped job). The probe is not awaited by its turn, so the jobs claimed are never held
 * back by it: when its reply comes after the next turn began, that is one turn more.
 */

/** Least time (ms, instance's clock) between two probes of one name. */
export const PROBE_INTERVAL = 1000;

/** Probes backlogged names for hidden grouped jobs. */
export class GroupProbe {
  /** When each name was last probed (epoch ms). */
  private readonly last = new Map<string, number>();

  /**
   * @param hasDueGroupedJob - whether `name` has a due job with a group (one read, limit 1)
   * @param interval - least time (ms) between two probes of one name. @defaultValue {@link PROBE_INTERVAL}
   */
  constructor(
    private readonly hasDueGroupedJob: (name: string, now: Date) => Promise<boolean>,
    private readonly interval = PROBE_INTERVAL,
  ) {}

  /**
   * Probes those of `names` whose interval has passed.
   * @returns the names found to have a due grouped job. A failed probe finds nothing (it is tried
   *   again after the interval; the claim itself reports the database's trouble).
   */
  async probe(names: readonly string[], now: Date): Promise<string[]> {
    const at = now.getTime();
    const due = names.filter((name) => at - (this.last.get(name) ?? Number.NEGATIVE_INFINITY) >= this.interval);
    for (const name of due) this.last.set(name, at);
    const found = await Promise.all(
      due.map((name) =>
        this.hasDueGroupedJob(name, now).then(
          (has) => has,
          () => false,
        ),
      ),
    );
    return due.filter((_, i) => found[i]);
  }
}
