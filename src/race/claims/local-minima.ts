/**
 * Claim 2: local minima trap plain gradient descent. Read from the surface sweep: where each
 * run of each optimizer ends on the two-well bowl, and on Himmelblau at its tuned lr.
 */
import { getSurface, nearestMinimum } from '../../surfaces/index.js';
import { raceEntry } from '../entries.js';
import { defineClaim, type SurfaceRunData } from '../types.js';
import { ADAPTIVE_FAMILY, MOMENTUM_FAMILY, percent } from './format.js';

type Basin = 'global' | 'local' | 'between' | 'diverged';

function basinOf(surfaceName: string, run: SurfaceRunData): Basin {
  if (run.diverged) return 'diverged';
  const nearest = nearestMinimum(getSurface(surfaceName), run.finalPoint as [number, number]);
  if (nearest === null || nearest.distance > 0.25) return 'between';
  return nearest.minimum.global ? 'global' : 'local';
}

export const localMinima = defineClaim<null, never, never>({
  id: 'local-minima',
  number: 2,
  title: 'Local minima trap plain gradient descent',
  statement: 'Plain gradient descent settles in the first minimum it meets; momentum can carry an optimizer over a hump into a better one.',
  literature: ['Polyak (1964), Some methods of speeding up the convergence of iteration methods'],
  requires: { all: ['sgd'], oneOf: [[...MOMENTUM_FAMILY, ...ADAPTIVE_FAMILY]] },
  budgets: { quick: null, default: null, full: null },
  shared: ['surfaces'],
  seeded: false,
  trials: () => [],
  runTrial: () => {
    throw new Error('local-minima has no trials of its own');
  },
  conclude(_done, plan) {
    const surfaces = plan.shared.surfaces!;
    const twoWell = surfaces.surfaces.find((s) => s.surface === 'two-well')!;
    const himmelblau = surfaces.surfaces.find((s) => s.surface === 'himmelblau')!;
    const himmelblauSurface = getSurface('himmelblau');
    const letters = ['A', 'B', 'C', 'D'];
    const rows: string[][] = [];
    const globalShare = new Map<string, number>();
    const tunedBasin = new Map<string, Basin>();
    const himmelblauEnd = new Map<string, string>();
    for (const sweep of twoWell.sweeps) {
      const id = sweep.optimizer;
      const basins = sweep.runs.map((run) => basinOf('two-well', run));
      const settled = basins.filter((b) => b === 'global' || b === 'local');
      const share = settled.length === 0 ? 0 : settled.filter((b) => b === 'global').length / settled.length;
      globalShare.set(id, share);
      tunedBasin.set(id, basinOf('two-well', sweep.runs[sweep.best]!));
      const hSweep = himmelblau.sweeps.find((s) => s.optimizer === id)!;
      const hRun = hSweep.runs[hSweep.best]!;
      const near = hRun.diverged ? null : nearestMinimum(himmelblauSurface, hRun.finalPoint as [number, number]);
      const letter = near && near.distance < 0.25 ? letters[himmelblauSurface.minima.indexOf(near.minimum)]! : hRun.diverged ? 'diverged' : 'none yet';
      himmelblauEnd.set(id, letter);
      const count = (b: Basin) => basins.filter((x) => x === b).length;
      rows.push([raceEntry(id).label, `${count('global')} / ${count('local')} / ${count('between')} / ${count('diverged')}`, settled.length === 0 ? '—' : percent(share), tunedBasin.get(id)!, letter]);
    }
    const sgdShare = globalShare.get('sgd') ?? 0;
    const others = [...MOMENTUM_FAMILY, ...ADAPTIVE_FAMILY].filter((id) => globalShare.has(id));
    const bestOther = others.reduce<string | null>((best, id) => (best === null || globalShare.get(id)! > globalShare.get(best)! ? id : best), null);
    const holds = bestOther !== null && globalShare.get(bestOther)! > sgdShare;
    const distinct = new Set([...himmelblauEnd.values()].filter((v) => letters.includes(v)));
    const lrCount = plan.budget.surfaceLrFactors.length;
    return {
      verdict: holds ? 'holds' : 'does not hold here',
      rule: 'holds when some momentum or adaptive method ends in the global minimum of the two-well bowl at a larger share of its learning rates than SGD',
      method: `Two-well bowl from its start, where the poor minimum (1, 0) lies between the start and the better one (−1.5, 0): every run of the surface sweep (${lrCount} learning rates per optimizer, ${surfaces.steps} steps) is classified by where it ends (within 0.25 of a minimum). The share of settled runs that end in the global minimum measures how often an optimizer gets past the hump, over its whole learning-rate range. Himmelblau's four equal minima (A = (3, 2), B, C, D counter-clockwise) show where each ends at its tuned learning rate from the same start. One start point: deterministic, no seeds.`,
      summary:
        `Two-well: SGD ends in the global minimum at ${percent(sgdShare)} of its settled learning rates (tuned lr: ${tunedBasin.get('sgd')}); ` +
        `${bestOther ? `${raceEntry(bestOther).label} at ${percent(globalShare.get(bestOther)!)} (tuned lr: ${tunedBasin.get(bestOther)})` : 'no other method ran'}. ` +
        (distinct.size > 1 ? `Himmelblau: from one start the optimizers end in ${distinct.size} different minima.` : 'Himmelblau: from this start every optimizer that settled ends in the same minimum.'),
      interpretation: 'Which basin a run ends in depends on its step size as much as on the method: a large enough step carries even plain gradient descent over the hump, so the share is taken over each optimizer\'s whole learning-rate range.',
      values: {
        globalShare: Object.fromEntries(globalShare),
        tunedBasin: Object.fromEntries(tunedBasin),
        himmelblauMinimum: Object.fromEntries(himmelblauEnd),
        himmelblauDistinctMinima: distinct.size,
      },
      table: { headers: ['optimizer', 'two-well runs: global / local / between / diverged', 'global share of settled', 'tuned lr ends', 'Himmelblau ends at'], rows },
      figures: [],
    };
  },
});
