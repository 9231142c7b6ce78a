/**
 * The race report as one self-contained HTML file: inline CSS, inline SVG, no script and
 * nothing fetched, so it opens offline and can be mailed or archived as it is.
 */
import type { RaceResults, ClaimResult, Verdict } from '../race/results.js';
import { escapeXml as escape, shortNumber } from './svg.js';
import { tableCells, TABLE_HEADERS } from './summary.js';

const STYLE = `
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 19px; margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 6px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e4e4e4; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f4f4; font-weight: 600; }
.meta { color: #555; }
.claim { border: 1px solid #ddd; border-radius: 6px; padding: 14px 16px; margin: 14px 0; }
.verdict { display: inline-block; padding: 1px 9px; border-radius: 10px; font-weight: 600; font-size: 12px; margin-left: 8px; vertical-align: 2px; }
.holds { background: #d9f2e0; color: #14532d; }
.fails { background: #fde2d8; color: #7c2d12; }
.skipped { background: #eee; color: #444; }
blockquote { margin: 6px 0; padding-left: 10px; border-left: 3px solid #ccc; color: #444; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 8px; }
.charts svg { max-width: 100%; height: auto; border: 1px solid #eee; }
code { background: #f4f4f4; padding: 0 4px; border-radius: 3px; }
details summary { cursor: pointer; color: #333; }
`;

function verdictBadge(verdict: Verdict): string {
  const css = verdict === 'holds' ? 'holds' : verdict === 'not run' ? 'skipped' : 'fails';
  return `<span class="verdict ${css}">${escape(verdict)}</span>`;
}

function htmlTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const head = `<tr>${headers.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n${head}\n${body}\n</table>`;
}

function chartBlock(names: readonly string[], charts: ReadonlyMap<string, string>): string {
  const present = names.filter((n) => charts.has(n));
  if (present.length === 0) return '';
  return `<div class="charts">\n${present.map((n) => `<figure style="margin:0">${charts.get(n)!}<figcaption class="meta">${escape(n)}</figcaption></figure>`).join('\n')}\n</div>`;
}

function claimSection(claim: ClaimResult, charts: ReadonlyMap<string, string>): string {
  return [
    `<section class="claim" id="claim-${claim.id}">`,
    `<h3>${claim.id}. ${escape(claim.title)}${verdictBadge(claim.verdict)}</h3>`,
    `<blockquote>${escape(claim.claim)}</blockquote>`,
    `<p><strong>Measured:</strong> ${escape(claim.summary)}</p>`,
    claim.table ? htmlTable(claim.table.headers, claim.table.rows) : '',
    `<details><summary>Method</summary><p>${escape(claim.method)}</p></details>`,
    chartBlock(claim.charts, charts),
    '</section>',
  ].join('\n');
}

/** The whole report; `charts` maps each chart's file name to its SVG text. */
export function renderHtml(results: RaceResults, charts: ReadonlyMap<string, string>): string {
  const holds = results.claims.filter((c) => c.verdict === 'holds').length;
  const ran = results.claims.filter((c) => c.verdict !== 'not run').length;
  const reproduce = `descent race${results.budget === 'default' ? '' : ` --${results.budget}`} --seed ${results.seed} --optimizers ${results.optimizers.join(',')}`;
  const surfaceSections = results.surfaces.map((s) => {
    const rows = s.runs.map((r) => [r.optimizer, shortNumber(r.lr), shortNumber(r.finalValue), `(${shortNumber(r.finalPoint[0])}, ${shortNumber(r.finalPoint[1])})`, r.distanceToMinimum === null ? '—' : shortNumber(r.distanceToMinimum), r.stepsToTarget === null ? '—' : String(r.stepsToTarget)]);
    return [
      `<h3 id="surface-${escape(s.surface)}">${escape(s.surface)}</h3>`,
      `<p class="meta">${s.steps} steps from the surface's start; "steps to target": first step with f within ${shortNumber(s.target)} of the global minimum.</p>`,
      chartBlock([s.chart], charts),
      htmlTable(['optimizer', 'lr', 'final f', 'end point', 'distance to nearest minimum', 'steps to target'], rows),
    ].join('\n');
  });
  const timingRows = Object.entries(results.timings.sectionSeconds).map(([section, seconds]) => [section, `${seconds.toFixed(1)} s`]);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>descent race: ${holds} of ${ran} claims hold (seed ${results.seed})</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>descent race</h1>`,
    `<p class="meta">descent ${escape(results.descent)} · budget <code>${results.budget}</code> · seed ${results.seed} · ${results.optimizers.length} optimizers · reproduce with <code>${escape(reproduce)}</code></p>`,
    `<p><strong>${holds} of ${ran} claims hold here.</strong> Verdicts are computed from the numbers below, not written by hand; a claim "does not hold here" when this run's measurement contradicts it at this budget.</p>`,
    '<h2>Fairness</h2>',
    `<ul>${results.fairness.map((f) => `<li>${escape(f)}</li>`).join('')}</ul>`,
    '<h2>The comparison table, measured</h2>',
    `<p class="meta">Task: ${escape(results.tableTask.description)}. Steps to target: first step whose running training loss is ≤ ${shortNumber(results.tableTask.lossTarget)}.</p>`,
    htmlTable(TABLE_HEADERS, results.table.map((row) => tableCells(row, results.timings.msPerStep[row.optimizer]))),
    results.table.some((row) => row.label.endsWith('†')) ? '<p class="meta">† needs row-sparse gradients: measured on the sparse spam task of claim 4, not on the table task.</p>' : '',
    '<p class="meta">ms/step is the wall-clock time of a whole training step (forward, backward and update) on this machine; the only column that changes between runs with the same seed.</p>',
    chartBlock(['loss-table-task.svg'], charts),
    '<h2>The twelve claims</h2>',
    ...results.claims.map((c) => claimSection(c, charts)),
    '<h2>Surfaces</h2>',
    ...surfaceSections,
    '<h2>Timings</h2>',
    `<p class="meta">Wall clock, total ${results.timings.totalSeconds.toFixed(1)} s. Timings are the only numbers that change between runs with the same seed.</p>`,
    htmlTable(['section', 'time'], timingRows),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
