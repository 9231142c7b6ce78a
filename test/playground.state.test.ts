/**
 * The playground's URL state: every field restores, and every malformed or hostile field falls
 * back to its default with a note, on both sides of each limit.
 */
import { describe, it, expect } from 'vitest';
import { parseHash, toHash, defaultState, LIMITS } from '../playground/src/state.js';

describe('the playground hash', () => {
  it('round-trips a state, storing only options that differ from the default', () => {
    const state = { ...defaultState(), surface: 'beale', start: [1.5, -0.25] as [number, number], shown: ['adam', 'sam'], options: { adam: { lr: 0.02, betas: [0.8, 0.99], amsgrad: true }, sam: { rho: 0.1, momentum: 0.9 } }, noise: 0.3, seed: 4, speed: 7, steps: 120 };
    const hash = toHash(state);
    // SAM's momentum 0.9 is its preset, so it is not written
    expect(hash).not.toContain('sam.momentum');
    const { state: restored, notes } = parseHash(hash);
    expect(notes).toEqual([]);
    expect(restored).toEqual({ ...state, options: { adam: state.options.adam, sam: { rho: 0.1 } } });
  });

  it('an empty hash is the default view', () => {
    expect(parseHash('')).toEqual({ state: defaultState(), notes: [] });
    expect(parseHash('#')).toEqual({ state: defaultState(), notes: [] });
  });

  it('keeps integers inside their limits and refuses them one past', () => {
    for (const key of ['seed', 'speed', 'steps'] as const) {
      const { min, max } = LIMITS[key];
      expect(parseHash(`${key}=${max}`).state[key]).toBe(max);
      expect(parseHash(`${key}=${min}`).state[key]).toBe(min);
      for (const bad of [String(max + 1), String(min - 1), '1.5', 'NaN', '1e400', '']) {
        const { state, notes } = parseHash(`${key}=${encodeURIComponent(bad)}`);
        expect(state[key], `${key}=${bad}`).toBe(defaultState()[key]);
        expect(notes.join()).toContain(key);
      }
    }
  });

  it('refuses an option outside what its control can set, on both sides of the range', () => {
    // Adam's lr slider spans [1e-5, 1] (log); betas are in [0, 1)
    expect(parseHash('show=adam&adam.lr=1').state.options).toEqual({ adam: { lr: 1 } });
    expect(parseHash('show=adam&adam.lr=1.01').notes[0]).toMatch(/Adam lr "1.01": 1.01 is outside the control's range/);
    expect(parseHash('show=adam&adam.lr=0.00001').state.options).toEqual({ adam: { lr: 0.00001 } });
    expect(parseHash('show=adam&adam.lr=0.000009').notes).toHaveLength(1);
    expect(parseHash('adam.betas=0.9,0.9999').state.options).toEqual({ adam: { betas: [0.9, 0.9999] } });
    expect(parseHash('adam.betas=0.9,1').notes[0]).toMatch(/1 is above the valid < 1/);
    expect(parseHash('adam.betas=0.9').notes[0]).toMatch(/expected two numbers/);
    expect(parseHash('adam.amsgrad=yes').notes[0]).toMatch(/expected true or false/);
    expect(parseHash('lookahead.k=2.5').notes[0]).toMatch(/not an integer/);
    expect(parseHash('lamb.maxGradNorm=none').state.options).toEqual({ lamb: { maxGradNorm: null } });
  });

  it('turns hostile input into notes, never into state', () => {
    const { state, notes } = parseHash('#surface=<script>alert(1)</script>&start=1,1&show=adam,<img src=x>&adam.lr=NaN&constructor.prototype=1&__proto__.x=1&speed=1e9');
    expect(state).toEqual({ ...defaultState(), shown: ['adam'] });
    expect(notes).toHaveLength(7);
    expect(notes[0]).toBe('unknown surface "<script>alert(1)</script>"; showing rosenbrock');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('checks the start against the chosen surface', () => {
    expect(parseHash('surface=ill-conditioned&start=4,-2').state.start).toEqual([4, -2]);
    const { state, notes } = parseHash('surface=ill-conditioned&start=4.01,0');
    expect(state.start).toEqual([-3.5, 1.2]);
    expect(notes[0]).toMatch(/not a point "x,y" inside the surface's domain/);
    expect(parseHash('start=1,2,3').notes).toHaveLength(1);
  });
});
