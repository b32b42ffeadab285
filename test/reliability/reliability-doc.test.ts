import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** docs/reliability.md may only claim what a test tries: every row names an existing test. */

const doc = readFileSync(new URL('../../docs/reliability.md', import.meta.url), 'utf8');
const rows = doc
  .split('\n')
  .filter((line) => line.startsWith('| ') && line.includes(' › '))
  .map((line) => {
    const cell = line.split(' | ').at(-1)!.replace(/ \|$/, '');
    const [file, title] = cell.split(' › ') as [string, string];
    return { file: file.replace(/`/g, ''), title };
  });

describe('docs/reliability.md', () => {
  it('has rows', () => {
    expect(rows.length).toBeGreaterThan(30);
  });

  for (const { file, title } of rows) {
    it(`names an existing test: ${file} › ${title}`, () => {
      const source = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
      const quoted = [`'${title.replace(/'/g, "\\'")}`, `"${title}`, `\`${title}`, `'${title}`];
      expect(quoted.some((q) => source.includes(q)), `${file} has no test titled "${title}"`).toBe(true);
    });
  }
});
