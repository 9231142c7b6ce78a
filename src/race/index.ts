/**
 * `descent/race`: the lecture's claims as experiments, runnable anywhere. No Node built-in is
 * imported here: the platform passes datasets, a clock and (optionally) a pool of workers in
 * `runRace(options, env)`; the CLI (src/cli) writes files, the browser renders in a page.
 *
 *   const results = await runRace({ budget: 'quick' }, { datasets, now: () => performance.now(), version });
 *   const figures = renderFigures(results);           // name → SVG
 *   const html = renderHtml(results, figures);
 */
export { runRace, planRace, runTrialTask, experimentById, inlineRunner, type RaceOptions, type RaceEnv, type RaceEvent, type TrialRunner, type TrialTask } from './run.js';
export { workerPool, serveTrials, answer, webWorkerPort, type TrialPort, type TrialReply } from './pool.js';
export { CLAIMS } from './claims/index.js';
export { BUDGETS, type BudgetConfig } from './budget.js';
export { raceEntries, raceEntry, raceEntryIds, selectEntries, RaceInputError, type RaceEntry } from './entries.js';
export * as stats from './stats.js';
export { seriesStyle, optimizerStyles, roleStyles, COLORS, type SeriesStyle } from './palette.js';
export { renderFigures, renderHtml, terminalSummary, drawFigure, sharedFigures } from './render/index.js';
export { defineClaim } from './types.js';
export type * from './types.js';
