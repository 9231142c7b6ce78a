/**
 * `npm run fuzz`: every fuzz target at length, then the counts. Arguments: `--seed N` (default
 * 1), `--seconds S` per target (default 60), `--only <name>` (a target's name, e.g. "checkpoint
 * files"). Exits 1 when any input crashed.
 */
import { targets } from './targets.js';
import { addCounts, emptyCounts } from './outcome.js';

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1]! : fallback;
}

const seed = Number(flag('seed', '1'));
const seconds = Number(flag('seconds', '60'));
const only = flag('only', '');
if (!Number.isSafeInteger(seed) || !(seconds > 0)) {
  process.stderr.write('usage: npm run fuzz -- [--seed N] [--seconds S] [--only "<target>"]\n');
  process.exit(2);
}
const chosen = Object.entries(targets).filter(([name]) => only === '' || name === only);
if (chosen.length === 0) {
  process.stderr.write(`unknown target ${JSON.stringify(only)}; targets: ${Object.keys(targets).join(', ')}\n`);
  process.exit(2);
}

const total = emptyCounts();
const row = (name: string, c: { tried: number; refused: number; accepted: number; crashes: number }): string =>
  `${name.padEnd(24)} ${String(c.tried).padStart(8)} ${String(c.refused).padStart(8)} ${String(c.accepted).padStart(9)} ${String(c.crashes).padStart(8)}`;
process.stdout.write(`fuzz: seed ${seed}, ${seconds} s per target\n${'target'.padEnd(24)} ${'tried'.padStart(8)} ${'refused'.padStart(8)} ${'accepted'.padStart(9)} ${'crashes'.padStart(8)}\n`);
for (const [name, target] of chosen) {
  const counts = target({ seed, maxInputs: Number.MAX_SAFE_INTEGER, timeLimitMs: seconds * 1000 });
  process.stdout.write(row(name, counts) + '\n');
  addCounts(total, counts);
}
process.stdout.write(row('total', total) + '\n');
for (const example of total.examples) process.stdout.write(`crash: ${example}\n`);
process.exitCode = total.crashes > 0 ? 1 : 0;
