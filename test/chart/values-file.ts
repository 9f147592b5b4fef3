/**
 * valuesFile(t, values) -> path: `values` written as a values file in a temp dir of the test. For values --set
 * cannot give: decimals (Helm's --set reads 0.40 as a string), keys holding dots (gpt-4.1-mini), whole lists.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { tempDir } from '../helpers/tmp';

export function valuesFile(t: Parameters<typeof tempDir>[0], values: Record<string, unknown>): string {
  const path = join(tempDir(t), 'values.yaml');
  writeFileSync(path, stringify(values));
  return path;
}
