/**
 * What a workload reports: rows of "the product vs its baseline" with the ratio, its target and
 * whether it was met, plus free-form notes (sizes, memory, sanity counts). Reports never fail the
 * run: a missed target is a finding, not an error.
 */

/** A target on a ratio, e.g. `{ op: '<=', value: 1.5 }`. */
export interface Target {
  op: '<=' | '>=' | '<';
  value: number;
}

/** One measured comparison. */
export interface RatioRow {
  /** What is compared, e.g. `100000 objects` or `16 clients p50`. */
  case: string;
  subject: number;
  baseline: number;
  /** Unit of `subject` and `baseline`, e.g. `ms` or `req/s`. */
  unit: string;
  /** `subject / baseline`. */
  ratio: number;
  /** Absent for rows reported for information only (e.g. p99). */
  target?: Target;
  /** Null when there is no target. */
  met: boolean | null;
  /** What the baseline is, when the workload has several. */
  against?: string;
}

/** The outcome of one workload on one database. */
export interface WorkloadResult {
  id: string;
  title: string;
  rows: RatioRow[];
  notes: Record<string, unknown>;
  /** Set when the workload crashed; its rows are then incomplete. */
  error?: string;
}

/** Builds a row, computing the ratio and whether it meets the target. */
export function ratioRow(row: Omit<RatioRow, 'ratio' | 'met'>): RatioRow {
  const ratio = row.subject / row.baseline;
  if (!row.target) return { ...row, ratio, met: null };
  const { op, value } = row.target;
  const met = op === '<=' ? ratio <= value : op === '>=' ? ratio >= value : ratio < value;
  return { ...row, ratio, met };
}
