/**
 * The race report as one self-contained HTML file: inline CSS, inline SVG, no script and
 * nothing fetched, so it opens offline and can be mailed or archived as it is. It fits a
 * 700 px window: tables scroll inside their box, figures scale down.
 */
import type { ClaimResult, RaceResults, TrialClock, Verdict } from '../types.js';
import { escapeXml as escape, shortNumber } from './svg.js';
import { adviceFor } from '../advice.js';
import { NOT_MEASURED, OTHER_TASKS, TABLE_HEADERS, evidenceLine, tableBlocks, tableCells } from './summary.js';

const STYLE = `
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; margin: 0 auto; max-width: 1000px; padding: 16px; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 19px; margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 6px; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e4e4e4; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f4f4; font-weight: 600; }
.meta { color: #555; }
.claim { border: 1px solid #ddd; border-radius: 6px; padding: 12px 14px; margin: 14px 0; }
.verdict { display: inline-block; padding: 1px 9px; border-radius: 10px; font-weight: 600; font-size: 12px; margin-left: 8px; vertical-align: 2px; }
.holds { background: #d9f2e0; color: #14532d; }
.fails { background: #fde2d8; color: #7c2d12; }
.inconclusive { background: #fff3c4; color: #5c4400; }
.skipped { background: #eee; color: #444; }
.rule { font-size: 13px; color: #333; }
blockquote { margin: 6px 0; padding-left: 10px; border-left: 3px solid #ccc; color: #444; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 8px; }
.charts figure { margin: 0; max-width: 100%; }
.charts svg { max-width: 100%; height: auto; border: 1px solid #eee; }
code { background: #f4f4f4; padding: 0 4px; border-radius: 3px; overflow-wrap: anywhere; }
details summary { cursor: pointer; color: #333; }
nav ol { columns: 2; column-gap: 24px; padding-left: 20px; }
@media (max-width: 720px) { nav ol { columns: 1; } }
`;

function verdictBadge(verdict: Verdict): string {
  const css = verdict === 'holds' ? 'holds' : verdict === 'not run' ? 'skipped' : verdict === 'inconclusive' ? 'inconclusive' : 'fails';
  return `<span class="verdict ${css}">${escape(verdict)}</span>`;
}

export function htmlTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const head = `<tr>${headers.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table>\n${head}\n${body}\n</table></div>`;
}

function figureBlock(names: readonly string[], figures: ReadonlyMap<string, string>): string {
  const present = names.filter((n) => figures.has(n));
  if (present.length === 0) return '';
  return `<div class="charts">\n${present.map((n) => `<figure>${figures.get(n)!}<figcaption class="meta">${escape(n)}.svg</figcaption></figure>`).join('\n')}\n</div>`;
}

export function claimAnchor(claim: Pick<ClaimResult, 'id'>): string {
  return `claim-${claim.id}`;
}

function claimSection(claim: ClaimResult, figures: ReadonlyMap<string, string>, clock: TrialClock): string {
  const evidence = evidenceLine(claim);
  const cost = claim.trials > 0 ? `${claim.trials} trials, ${claim.trialSeconds.toFixed(1)} s${clock === 'cpu' ? ' of CPU' : ''}` : 'no trials of its own';
  const perSeed = claim.perSeed
    ? htmlTable(
        ['seed', ...Object.keys(claim.perSeed)],
        claim.seeds.map((seed, k) => [String(seed), ...Object.values(claim.perSeed!).map((values) => (values[k] === undefined ? NOT_MEASURED : shortNumber(values[k]!)))]),
      )
    : '';
  return [
    `<section class="claim" id="${claimAnchor(claim)}">`,
    `<h3>${claim.number}. ${escape(claim.title)}${verdictBadge(claim.verdict)}</h3>`,
    `<p class="rule"><strong>Rule:</strong> ${escape(claim.rule)}.${evidence ? ` <strong>Evidence:</strong> ${escape(evidence)}.` : ''}</p>`,
    `<blockquote>${escape(claim.statement)}</blockquote>`,
    `<p><strong>Measured:</strong> ${escape(claim.summary)}</p>`,
    claim.interpretation ? `<p><strong>Why:</strong> ${escape(claim.interpretation)}</p>` : '',
    claim.table ? htmlTable(claim.table.headers, claim.table.rows) : '',
    figureBlock(
      claim.figures.map((f) => f.name),
      figures,
    ),
    perSeed ? `<details><summary>Per seed</summary>${perSeed}</details>` : '',
    `<details><summary>Method${claim.literature.length > 0 ? ' and literature' : ''}</summary><p>${escape(claim.method)}</p>${claim.literature.length > 0 ? `<ul>${claim.literature.map((l) => `<li>${escape(l)}</li>`).join('')}</ul>` : ''}<p class="meta">Cost: ${escape(cost)}${claim.seeds.length > 0 ? ` over seeds ${claim.seeds[0]}–${claim.seeds[claim.seeds.length - 1]}` : ''}.</p></details>`,
    '</section>',
  ].join('\n');
}

/** "When to use which": each piece of advice with its measured evidence, linked to the claims. */
export function adviceHtml(results: RaceResults): string {
  return adviceFor(results)
    .map(
      (item) =>
        `<h3>${escape(item.advice)}</h3>\n<ul>${item.evidence.map((e) => `<li>${e.claim === null ? escape(e.text) : `<a href="#${claimAnchor({ id: e.claim })}">${escape(e.text)}</a>`}</li>`).join('')}</ul>`,
    )
    .join('\n');
}

/** The whole report; `figures` maps each figure's name to its SVG text (see renderFigures). */
export function renderHtml(results: RaceResults, figures: ReadonlyMap<string, string>): string {
  const extraSections = [{ id: 'when-to-use-which', title: 'When to use which', html: `<p class="meta">The lecture's advice, each piece beside the claims that support or qualify it and the comparison table's numbers, as measured in this run.</p>\n${adviceHtml(results)}` }];
  const count = (v: Verdict) => results.claims.filter((c) => c.verdict === v).length;
  const ran = results.claims.filter((c) => c.verdict !== 'not run').length;
  const reproduce = `descent race${results.budget === 'default' ? '' : ` --${results.budget}`} --seed ${results.seeds[0]} --seeds ${results.seeds.length} --optimizers ${results.optimizers.join(',')}`;
  const table = results.table;
  const tableSection = table
    ? [
        '<h2 id="table">The comparison table, measured</h2>',
        `<p class="meta">Task: ${escape(table.description)}. Mean ± sd over ${results.seeds.length} seeds. Steps to target: median over seeds of the first step whose running training loss is ≤ ${shortNumber(table.lossTarget)}; &gt;N: not reached within N steps; ${NOT_MEASURED}: not measured. An optimizer that fails (diverges or stays at chance) at every learning rate is marked failed; "k div." counts the seeds that diverged at the chosen lr, left out of the loss but not of the accuracy. ms/step: a whole training step (forward, backward, update), timed in interleaved rounds (each round times every optimizer for a few steps, the order rotated), as the median and interquartile range over rounds; the sparse task's row uses its seeds' runs. Timings come from a machine that may be shared with other work, and are the only numbers that change between runs with the same seeds.</p>`,
        ...tableBlocks(table).flatMap((block) => [
          block.task === 'mnist' ? '' : `<h3>${escape(block.rows.map((r) => r.label).join(', '))}: another task</h3><p class="meta">${escape(OTHER_TASKS[block.task] ?? block.task)}</p>`,
          htmlTable(TABLE_HEADERS, block.rows.map((row) => tableCells(row, table))),
          block.task === 'mnist' ? htmlTable(['optimizer', 'momentum', 'adaptive'], block.rows.map((r) => [r.label, r.momentum, r.adaptive])) : '',
        ]),
        figureBlock(['table-loss'], figures),
      ]
    : [];
  const surfaces = results.surfaces;
  const surfaceSections = surfaces
    ? [
        '<h2 id="surfaces">Surfaces</h2>',
        ...surfaces.surfaces.map((s) => {
          const rows = s.sweeps.map((sweep) => {
            const r = sweep.runs[sweep.best]!;
            return [r.optimizer, shortNumber(r.lr), shortNumber(r.finalValue), `(${shortNumber(r.finalPoint[0])}, ${shortNumber(r.finalPoint[1])})`, r.distanceToMinimum === null ? NOT_MEASURED : shortNumber(r.distanceToMinimum), r.stepsToTarget === null ? `>${surfaces.steps}` : String(r.stepsToTarget)];
          });
          return [
            `<h3 id="surface-${escape(s.surface)}">${escape(s.surface)}</h3>`,
            `<p class="meta">${surfaces.steps} steps from the surface's start; "steps to target": first step with f within ${shortNumber(s.target)} of the global minimum.</p>`,
            figureBlock([`surface-${s.surface}`], figures),
            htmlTable(['optimizer', 'lr', 'final f', 'end point', 'distance to nearest minimum', 'steps to target'], rows),
          ].join('\n');
        }),
      ]
    : [];
  const toc = [
    ...(table ? [['table', 'The comparison table']] : []),
    ['claims', 'The claims'],
    ...results.claims.map((c) => [claimAnchor(c), `${c.number}. ${c.title} — ${c.verdict}`]),
    ...extraSections.map((s) => [s.id, s.title]),
    ...(surfaces ? [['surfaces', 'Surfaces']] : []),
    ['timings', 'Timings'],
  ];
  const { sectionSeconds, trialSeconds } = results.timings;
  const timingRows = Object.entries(sectionSeconds).map(([section, seconds]) => [section, `${seconds.toFixed(1)} s`, trialSeconds[section] === undefined ? NOT_MEASURED : `${trialSeconds[section]!.toFixed(1)} s`]);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>descent race: ${count('holds')} of ${ran} claims hold (budget ${results.budget})</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<h1>descent race</h1>',
    `<p class="meta">descent ${escape(results.version)} · budget <code>${results.budget}</code> · seeds ${results.seeds[0]}–${results.seeds[results.seeds.length - 1]} · ${results.optimizers.length} optimizers · reproduce with <code>${escape(reproduce)}</code></p>`,
    `<p><strong>${count('holds')} of ${ran} claims hold here, ${count('does not hold here')} do not, ${count('inconclusive')} inconclusive.</strong> Verdicts are computed from the numbers below by the rule stated beside each; "inconclusive" means the 95 % interval over seeds straddles the rule's threshold.</p>`,
    `<nav><ol>${toc.map(([id, title]) => `<li><a href="#${escape(id!)}">${escape(title!)}</a></li>`).join('')}</ol></nav>`,
    '<h2>Fairness</h2>',
    `<ul>${results.fairness.map((f) => `<li>${escape(f)}</li>`).join('')}</ul>`,
    ...tableSection,
    '<h2 id="claims">The claims</h2>',
    ...results.claims.map((c) => claimSection(c, figures, results.timings.trialClock)),
    ...extraSections.map((s) => `<h2 id="${escape(s.id)}">${escape(s.title)}</h2>\n${s.html}`),
    ...surfaceSections,
    '<h2 id="timings">Timings</h2>',
    `<p class="meta">Wall clock with ${results.timings.workers} worker(s), total ${results.timings.totalSeconds.toFixed(1)} s; a section's wall clock runs from its first trial to its verdict, and sections overlap when workers run them side by side. Trial seconds are the time its trials took summed over workers (${results.timings.trialClock === 'cpu' ? "the CPU time of the threads that ran them" : 'wall clock: this platform does not measure CPU time per thread'}): what the section costs, whatever the number of workers. Timings are the only numbers that change between runs with the same seeds.</p>`,
    htmlTable(['section', 'wall clock', 'trial seconds'], timingRows),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
