/**
 * One fixed style per optimizer across every figure (the playground reuses it), from colours
 * that stay apart under the common colour-vision deficiencies (Okabe & Ito's set, with
 * indigo, olive and wine from Paul Tol's): no two optimizers share both colour and dash, and
 * the optimizers that appear together in a claim's figure differ in colour. Roles
 * ('variant-1' …) colour the series that are not optimizers (with and without a correction,
 * an architecture and its control).
 */

export interface SeriesStyle {
  readonly color: string;
  /** An SVG stroke-dasharray, or null for a solid line. */
  readonly dash: string | null;
}

export const COLORS = {
  black: '#000000',
  blue: '#0072B2',
  sky: '#56B4E9',
  green: '#009E73',
  orange: '#E69F00',
  vermillion: '#D55E00',
  pink: '#CC79A7',
  indigo: '#332288',
  olive: '#999933',
  wine: '#882255',
  grey: '#7F7F7F',
  brown: '#8C564B',
} as const;

const DASHED = '6 3';

const OPTIMIZER_STYLES: Readonly<Record<string, SeriesStyle>> = {
  sgd: { color: COLORS.black, dash: null },
  momentum: { color: COLORS.blue, dash: null },
  nesterov: { color: COLORS.sky, dash: null },
  adagrad: { color: COLORS.green, dash: null },
  rmsprop: { color: COLORS.orange, dash: null },
  adadelta: { color: COLORS.olive, dash: null },
  adam: { color: COLORS.vermillion, dash: null },
  adamw: { color: COLORS.wine, dash: null },
  adamax: { color: COLORS.brown, dash: null },
  nadam: { color: COLORS.indigo, dash: null },
  radam: { color: COLORS.pink, dash: null },
  sparseadam: { color: COLORS.vermillion, dash: DASHED },
  lamb: { color: COLORS.grey, dash: null },
  lars: { color: COLORS.blue, dash: DASHED },
  lbfgs: { color: COLORS.black, dash: DASHED },
  lookahead: { color: COLORS.orange, dash: DASHED },
  sam: { color: COLORS.green, dash: DASHED },
  rprop: { color: COLORS.sky, dash: DASHED },
  asgd: { color: COLORS.olive, dash: DASHED },
  adafactor: { color: COLORS.indigo, dash: DASHED },
  muon: { color: COLORS.wine, dash: DASHED },
};

const ROLE_STYLES: Readonly<Record<string, SeriesStyle>> = {
  'variant-1': { color: COLORS.blue, dash: null },
  'variant-2': { color: COLORS.vermillion, dash: null },
  'variant-3': { color: COLORS.green, dash: null },
  'variant-4': { color: COLORS.orange, dash: null },
  'variant-5': { color: COLORS.pink, dash: null },
  'variant-6': { color: COLORS.black, dash: null },
};

/** The style of a series' colour key: an optimizer id or a role; an unknown key is an error. */
export function seriesStyle(key: string): SeriesStyle {
  const style = OPTIMIZER_STYLES[key] ?? ROLE_STYLES[key];
  if (style === undefined) throw new RangeError(`no palette entry ${JSON.stringify(key)}; use an optimizer id (${Object.keys(OPTIMIZER_STYLES).join(', ')}) or a role (${Object.keys(ROLE_STYLES).join(', ')})`);
  return style;
}

/** Every optimizer's style, for a legend or the playground. */
export const optimizerStyles: Readonly<Record<string, SeriesStyle>> = OPTIMIZER_STYLES;
export const roleStyles: Readonly<Record<string, SeriesStyle>> = ROLE_STYLES;
