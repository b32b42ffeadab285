import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from './options.ts';
import type { RatioRow, WorkloadResult } from './results.ts';

/** Printing the results as a table, and writing them as JSON under `bench/results/`. */

/** Everything one run measured on one database. */
export interface SuiteResult {
  database: 'pglite' | 'postgres';
  databaseVersion: string;
  workloads: WorkloadResult[];
}

/** The machine the run was on. */
export function machine() {
  const cpu = cpus();
  return { cores: cpu.length, cpu: cpu[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` };
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function targetText(row: RatioRow): string {
  return row.target ? `${row.target.op} ${row.target.value}` : '';
}

function metText(row: RatioRow): string {
  return row.met === null ? '' : row.met ? 'yes' : 'MISS';
}

/** The results as a fixed-width text table. */
export function table(suites: readonly SuiteResult[]): string {
  const header = ['db', 'id', 'case', 'vs', 'product', 'baseline', 'unit', 'ratio', 'target', 'met'];
  const lines: string[][] = [header];
  for (const suite of suites) {
    for (const workload of suite.workloads) {
      if (workload.error) lines.push([suite.database, workload.id, `CRASHED: ${workload.error.split('\n')[0]!.slice(0, 60)}`, '', '', '', '', '', '', '']);
      for (const row of workload.rows) {
        lines.push([suite.database, workload.id, row.case, row.against ?? '', format(row.subject), format(row.baseline), row.unit, format(row.ratio), targetText(row), metText(row)]);
      }
    }
  }
  const widths = header.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)));
  return lines.map((line) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

/**
 * Writes `bench/results/<database>-<mode>.json` per suite (a run of some workloads only:
 * `<database>-<mode>-<ids>.json`, so it never replaces a complete run's file); returns the paths.
 */
export function writeResults(options: BenchOptions, suites: readonly SuiteResult[], startedAt: Date, only: ReadonlySet<string> | null): string[] {
  const directory = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(directory, { recursive: true });
  return suites.map((suite) => {
    const subset = only ? `-${[...only].sort().join('-')}` : '';
    const path = `${directory}${suite.database}-${options.mode}${subset}.json`;
    writeFileSync(path, `${JSON.stringify({ startedAt: startedAt.toISOString(), machine: machine(), options, ...suite }, null, 2)}\n`);
    return path;
  });
}
