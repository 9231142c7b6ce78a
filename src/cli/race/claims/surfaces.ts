/**
 * Claims 1 and 2, measured on the surface stage's runs: how long each optimizer lingers at
 * the bounded saddle, and which minimum it ends in on the two-well bowl and on Himmelblau.
 */
import { getSurface, nearestMinimum } from '../../../surfaces/index.js';
import { trajectoryPlot } from '../../report/charts.js';
import { runOnSurface, type SurfaceTrace } from '../harness.js';
import type { RaceContext } from '../context.js';
import { pairs } from '../stages.js';
import type { ClaimResult } from '../results.js';
import { statement, missingFor, notRun, num, percent, MOMENTUM_FAMILY, ADAPTIVE_FAMILY } from './statements.js';

/** |y| at which an optimizer has left the saddle's neighbourhood (the minima sit at |y| = √2). */
const ESCAPE_HEIGHT = 0.5;
/** A learning rate small enough for every optimizer, for the equal-lr comparison. */
const COMMON_LR = 0.01;

function stepsToEscape(trace: SurfaceTrace): number | null {
  for (let t = 0; t <= trace.steps; t++) if (Math.abs(trace.points[2 * t + 1]!) >= ESCAPE_HEIGHT) return t;
  return null;
}

/** Fewest steps among the family's members in the race (Infinity when none escaped). */
function bestOf(ids: readonly string[], steps: ReadonlyMap<string, number | null>): { id: string | null; steps: number } {
  let best: { id: string | null; steps: number } = { id: null, steps: Number.POSITIVE_INFINITY };
  for (const id of ids) {
    const s = steps.get(id);
    if (s === undefined) continue;
    const value = s ?? Number.POSITIVE_INFINITY;
    if (value < best.steps || best.id === null) best = { id, steps: value };
  }
  return best;
}

export function saddleClaim(context: RaceContext): ClaimResult {
  const claim = statement(1);
  const missing = missingFor(context, claim);
  if (missing.length > 0) return notRun(claim, missing);
  const stage = context.surfaceStages.get('bounded-saddle')!;
  const steps = context.budget.surfaceSteps;
  const tuned = new Map<string, number | null>();
  const common = new Map<string, number | null>();
  const commonTraces = new Map<string, SurfaceTrace>();
  for (const [id, swept] of stage.byEntry) {
    tuned.set(id, stepsToEscape(swept.best.result));
    const trace = runOnSurface(stage.surface, context.entry(id).factory(), COMMON_LR, { steps });
    commonTraces.set(id, trace);
    common.set(id, stepsToEscape(trace));
  }
  const sgd = tuned.get('sgd') ?? null;
  const momentum = bestOf(MOMENTUM_FAMILY, tuned);
  const adaptive = bestOf(ADAPTIVE_FAMILY, tuned);
  const sgdSteps = sgd ?? Number.POSITIVE_INFINITY;
  const holds = momentum.steps < sgdSteps || adaptive.steps < sgdSteps;
  const show = (s: number | null | undefined): string => (s === null || s === undefined ? `> ${steps}` : String(s));
  const chart = 'claim-1-saddle-common-lr.svg';
  context.charts.set(
    chart,
    trajectoryPlot({
      surface: stage.surface,
      title: `Bounded saddle, every optimizer at lr ${COMMON_LR}`,
      trajectories: [...commonTraces].map(([id, trace]) => ({ name: context.entry(id).label, color: context.color(id), points: pairs(trace) })),
    }),
  );
  const commonSgd = common.get('sgd') ?? null;
  const commonBest = bestOf([...MOMENTUM_FAMILY, ...ADAPTIVE_FAMILY], common);
  return {
    id: claim.id,
    title: claim.title,
    claim: claim.claim,
    method: `On the bounded saddle f = x² − y² + y⁴/4 from (${stage.surface.start.join(', ')}), 1e-3 off the saddle's stable axis: steps until |y| ≥ ${ESCAPE_HEIGHT} (halfway to the minima at ±√2), with each optimizer at the learning rate its sweep chose on this surface (${context.budget.surfaceLrFactors.length} values, ${steps} steps, lowest final f), and again with every optimizer at lr ${COMMON_LR}. The claim holds when the best momentum or adaptive method escapes in fewer steps than SGD at the tuned learning rates.`,
    verdict: holds ? 'holds' : 'does not hold here',
    summary:
      `At tuned learning rates SGD leaves the saddle after ${show(sgd)} steps, ` +
      `${momentum.id ? `${context.entry(momentum.id).label} after ${show(tuned.get(momentum.id))}` : 'no momentum method ran'}, ` +
      `${adaptive.id ? `${context.entry(adaptive.id).label} after ${show(tuned.get(adaptive.id))}` : 'no adaptive method ran'}. ` +
      `At lr ${COMMON_LR} for all: SGD ${show(commonSgd)}, fastest other ${commonBest.id ? `${context.entry(commonBest.id).label} ${show(common.get(commonBest.id))}` : '—'}.`,
    figures: {
      escapeHeight: ESCAPE_HEIGHT,
      stepsToEscapeTuned: Object.fromEntries([...tuned].map(([id, s]) => [id, s])),
      stepsToEscapeCommonLr: Object.fromEntries([...common].map(([id, s]) => [id, s])),
      tunedLr: Object.fromEntries([...stage.byEntry].map(([id, s]) => [id, s.best.lr])),
      commonLr: COMMON_LR,
    },
    table: {
      headers: ['optimizer', 'tuned lr', 'steps to escape (tuned lr)', `steps to escape (lr ${COMMON_LR})`],
      rows: [...stage.byEntry].map(([id, s]) => [context.entry(id).label, num(s.best.lr), show(tuned.get(id)), show(common.get(id))]),
    },
    charts: ['surface-bounded-saddle.svg', chart],
  };
}

type Basin = 'global' | 'local' | 'between' | 'diverged';

function basinOf(surfaceName: string, trace: SurfaceTrace): Basin {
  if (trace.diverged) return 'diverged';
  const surface = getSurface(surfaceName);
  const end: [number, number] = [trace.points[2 * trace.steps]!, trace.points[2 * trace.steps + 1]!];
  const nearest = nearestMinimum(surface, end);
  if (nearest === null || nearest.distance > 0.25) return 'between';
  return nearest.minimum.global ? 'global' : 'local';
}

export function localMinimaClaim(context: RaceContext): ClaimResult {
  const claim = statement(2);
  const missing = missingFor(context, claim);
  if (missing.length > 0) return notRun(claim, missing);
  const twoWell = context.surfaceStages.get('two-well')!;
  const himmelblau = context.surfaceStages.get('himmelblau')!;
  const letters = ['A', 'B', 'C', 'D'];
  const rows: string[][] = [];
  const globalShare = new Map<string, number>();
  const tunedBasin = new Map<string, Basin>();
  const himmelblauEnd = new Map<string, string>();
  for (const [id, swept] of twoWell.byEntry) {
    const basins = swept.all.map((p) => basinOf('two-well', p.result));
    const settled = basins.filter((b) => b === 'global' || b === 'local');
    const share = settled.length === 0 ? 0 : settled.filter((b) => b === 'global').length / settled.length;
    globalShare.set(id, share);
    tunedBasin.set(id, basinOf('two-well', swept.best.result));
    const hTrace = himmelblau.byEntry.get(id)!.best.result;
    const hEnd: [number, number] = [hTrace.points[2 * hTrace.steps]!, hTrace.points[2 * hTrace.steps + 1]!];
    const near = hTrace.diverged ? null : nearestMinimum(himmelblau.surface, hEnd);
    const letter = near && near.distance < 0.25 ? letters[himmelblau.surface.minima.indexOf(near.minimum)]! : hTrace.diverged ? 'diverged' : 'none yet';
    himmelblauEnd.set(id, letter);
    rows.push([
      context.entry(id).label,
      `${basins.filter((b) => b === 'global').length} / ${basins.filter((b) => b === 'local').length} / ${basins.filter((b) => b === 'between').length} / ${basins.filter((b) => b === 'diverged').length}`,
      settled.length === 0 ? '—' : percent(share),
      tunedBasin.get(id)!,
      letter,
    ]);
  }
  const sgdShare = globalShare.get('sgd') ?? 0;
  const others = [...MOMENTUM_FAMILY, ...ADAPTIVE_FAMILY].filter((id) => globalShare.has(id));
  const bestOther = others.reduce<string | null>((best, id) => (best === null || globalShare.get(id)! > globalShare.get(best)! ? id : best), null);
  const holds = bestOther !== null && globalShare.get(bestOther)! > sgdShare;
  const distinct = new Set([...himmelblauEnd.values()].filter((v) => letters.includes(v)));
  const lrCount = context.budget.surfaceLrFactors.length;
  return {
    id: claim.id,
    title: claim.title,
    claim: claim.claim,
    method: `Two-well bowl from (${twoWell.surface.start.join(', ')}), where the poor minimum (1, 0) lies between the start and the better one (−1.5, 0): every run of the surface sweep (${lrCount} learning rates per optimizer, ${context.budget.surfaceSteps} steps) is classified by where it ends (within 0.25 of a minimum). The share of settled runs that end in the global minimum measures how often an optimizer gets past the hump, over its whole learning-rate range. The claim holds when some momentum or adaptive method reaches the global minimum at a larger share of learning rates than SGD. Himmelblau's four equal minima (A = (3, 2), B, C, D counter-clockwise) show where each ends at its tuned learning rate from the same start.`,
    verdict: holds ? 'holds' : 'does not hold here',
    summary:
      `Two-well: SGD ends in the global minimum at ${percent(sgdShare)} of its settled learning rates (tuned lr: ${tunedBasin.get('sgd')}); ` +
      `${bestOther ? `${context.entry(bestOther).label} at ${percent(globalShare.get(bestOther)!)} (tuned lr: ${tunedBasin.get(bestOther)})` : 'no other method ran'}. ` +
      (distinct.size > 1 ? `Himmelblau: from one start the optimizers end in ${distinct.size} different minima.` : `Himmelblau: from this start every optimizer that settled ends in the same minimum.`),
    figures: {
      globalShare: Object.fromEntries(globalShare),
      tunedBasin: Object.fromEntries(tunedBasin),
      himmelblauMinimum: Object.fromEntries(himmelblauEnd),
      himmelblauDistinctMinima: distinct.size,
    },
    table: { headers: ['optimizer', 'two-well runs: global / local / between / diverged', 'global share of settled', 'tuned lr ends', 'Himmelblau ends at'], rows },
    charts: ['surface-two-well.svg', 'surface-himmelblau.svg'],
  };
}
