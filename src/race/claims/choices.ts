/**
 * How the task claims (4, 8–12) choose a setting: once per optimizer, from its mean over
 * seeds, so that the comparison made after the choice stays paired by seed.
 */

export interface GridPoint<Setting> {
  readonly setting: Setting;
  /** One value per seed, in seed order. */
  readonly values: readonly number[];
}

export interface Choice<Setting> {
  readonly setting: Setting;
  readonly index: number;
  readonly mean: number;
  /** The choice is the first or last of the grid: the grid may end too soon to contain the optimum. */
  readonly atEdge: boolean;
}

/**
 * The setting with the best mean over seeds (`lower` or `higher` is better). A mean that is
 * NaN or infinite (a failed run) loses to every finite one; ties go to the first in the list,
 * so list grids from the safer end (smaller lr, smaller decay).
 */
export function bestByMean<Setting>(points: ReadonlyArray<GridPoint<Setting>>, better: 'lower' | 'higher'): Choice<Setting> {
  if (points.length === 0) throw new RangeError('bestByMean: no settings to choose from');
  const means = points.map((p) => p.values.reduce((s, v) => s + v, 0) / p.values.length);
  const sign = better === 'lower' ? 1 : -1;
  let index = 0;
  means.forEach((m, k) => {
    const current = Number.isFinite(means[index]!) ? sign * means[index]! : Number.POSITIVE_INFINITY;
    if (Number.isFinite(m) && sign * m < current) index = k;
  });
  return { setting: points[index]!.setting, index, mean: means[index]!, atEdge: points.length > 1 && (index === 0 || index === points.length - 1) };
}

/** The values of `select` for each seed, in seed order, from the trials matching `where`. */
export function perSeed<Spec extends { readonly seed: number }, Result>(
  done: ReadonlyArray<{ readonly spec: Spec; readonly result: Result }>,
  seeds: readonly number[],
  where: (spec: Spec) => boolean,
  select: (result: Result) => number,
): number[] {
  return seeds.map((seed) => {
    const found = done.find((d) => d.spec.seed === seed && where(d.spec));
    if (found === undefined) throw new Error(`no trial for seed ${seed}`);
    return select(found.result);
  });
}

/**
 * The grid of settings the trials matching `where` ran, ascending, each with `select` of its
 * result per seed: the input of `bestByMean`.
 */
export function gridOver<Spec extends { readonly seed: number }, Result>(
  done: ReadonlyArray<{ readonly spec: Spec; readonly result: Result }>,
  seeds: readonly number[],
  where: (spec: Spec) => boolean,
  settingOf: (spec: Spec) => number,
  select: (result: Result) => number,
): Array<GridPoint<number>> {
  const settings = [...new Set(done.filter((d) => where(d.spec)).map((d) => settingOf(d.spec)))].sort((a, b) => a - b);
  return settings.map((setting) => ({ setting, values: perSeed(done, seeds, (s) => where(s) && settingOf(s) === setting, select) }));
}

/**
 * The learning rate to add when the best mean sits at an edge of a log grid: one grid ratio
 * beyond it, until `maxExtensions` have been added; null when the best is inside the grid (or
 * every run failed, or the extensions are spent).
 */
export function edgeExtension(choice: Choice<number>, extended: number, ratio: number, maxExtensions: number): number | null {
  if (!choice.atEdge || extended >= maxExtensions || !Number.isFinite(choice.mean)) return null;
  return Number((choice.index === 0 ? choice.setting / ratio : choice.setting * ratio).toPrecision(3));
}
