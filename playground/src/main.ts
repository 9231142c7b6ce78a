/**
 * The page: wires the state (URL hash), the trajectories, the views and the controls.
 * Every trajectory is the library's optimizer stepping on the library's surface.
 */
import { bestPoint, contestants, findContestant, getSurface, kernelBackend, lrGrid, preloadKernels, startThreads, surfaces, surfaceTarget, threads, DIGITS_FILE, SWEEP_BUDGET, type Contestant, type SweepPoint } from './library.js';
import { Trajectory, type RunSettings } from './simulation.js';
import { explainStep, radamRectification, type Explanation, type ExplainRow } from './explain.js';
import { parseHash, toHash, optionsFor, optionValue, LIMITS, type PlaygroundState } from './state.js';
import { SurfaceView } from './surface-view.js';
import { drawChart, type Series } from './charts.js';
import { buildControls, formatValue, swatchFor } from './controls.js';
import { computeGrid, labSurfaces, polyakOptimum } from './lab.js';
import { drawGrid } from './lab-view.js';
import { MnistPanel } from './mnist-panel.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page lacks #${id}`);
  return element as T;
};

class Playground {
  state: PlaygroundState;
  trajectories = new Map<string, Trajectory>();
  playing = false;
  explainId: string | null = null;
  explainStepIndex: number | null = null;
  private readonly view = new SurfaceView($<HTMLCanvasElement>('surface'));
  private hashTimer: number | null = null;

  constructor() {
    const { state, notes } = parseHash(location.hash);
    this.state = state;
    this.showNotes(notes);
    this.buildSurfaceSelect();
    this.buildContestantList();
    this.bindTransport();
    this.bindCanvas();
    this.bindKeyboard();
    this.rebuild();
    if (state.steps > 0) this.advance(state.steps);
    this.render();
  }

  showNotes(notes: readonly string[]): void {
    const box = $('notes');
    box.replaceChildren();
    if (notes.length === 0) {
      box.hidden = true;
      return;
    }
    const title = document.createElement('strong');
    title.textContent = 'Some of the link was not used: ';
    box.append(title);
    const list = document.createElement('ul');
    for (const note of notes) {
      const item = document.createElement('li');
      item.textContent = note;
      list.append(item);
    }
    box.append(list);
    box.hidden = false;
  }

  settingsFor(contestant: Contestant): RunSettings {
    const { optimizer, wrapper } = optionsFor(this.state, contestant);
    return { surface: getSurface(this.state.surface), start: this.state.start, optimizerOptions: optimizer, wrapperOptions: wrapper, noise: { sigma: this.state.noise, seed: this.state.seed } };
  }

  /** New trajectories for the shown contestants, replayed to the current step count. */
  rebuild(): void {
    const steps = Math.max(0, ...[...this.trajectories.values()].map((t) => t.steps), this.state.steps);
    this.trajectories.clear();
    for (const id of this.state.shown) {
      const contestant = findContestant(id)!;
      try {
        this.trajectories.set(id, new Trajectory(contestant, this.settingsFor(contestant)));
      } catch (error) {
        this.showNotes([`${contestant.label}: ${(error as Error).message}`]);
      }
    }
    this.advance(steps);
  }

  /** Runs every trajectory to `steps` steps (a diverged one stops alone). */
  advance(steps: number): void {
    const target = Math.min(steps, LIMITS.steps.max);
    for (const trajectory of this.trajectories.values()) trajectory.runTo(target);
    this.state.steps = target;
  }

  stepAll(count: number): void {
    this.advance(this.state.steps + count);
    if (this.state.steps >= LIMITS.steps.max) this.setPlaying(false);
  }

  setPlaying(playing: boolean): void {
    this.playing = playing;
    const button = $<HTMLButtonElement>('play');
    button.textContent = playing ? 'Pause' : 'Play';
    button.setAttribute('aria-pressed', String(playing));
    if (playing) requestAnimationFrame(() => this.frame());
  }

  frame(): void {
    if (!this.playing) return;
    this.stepAll(this.state.speed);
    this.render();
    if (this.playing) requestAnimationFrame(() => this.frame());
  }

  reset(): void {
    this.state.steps = 0;
    this.explainStepIndex = null;
    this.setPlaying(false);
    this.trajectories.clear();
    this.rebuild();
    this.render();
  }

  // -------------------------------------------------------------------------------------------
  // Rendering

  render(): void {
    const surface = getSurface(this.state.surface);
    const explanation = this.currentExplanation();
    const unrectified = new Map<Trajectory, number[]>();
    for (const trajectory of this.trajectories.values()) {
      if (trajectory.contestant.optimizer !== 'radam') continue;
      const off: number[] = [];
      for (const record of trajectory.records) if (!radamRectification(trajectory.group, record.t).rectified) off.push(record.t);
      unrectified.set(trajectory, off);
    }
    this.view.draw({
      surface,
      trajectories: [...this.trajectories.values()],
      start: this.state.start,
      explanation: explanation ? { colour: this.trajectories.get(this.explainId!)!.contestant.colour, explanation } : null,
      unrectified,
    });
    this.renderCharts();
    this.renderStatus();
    this.renderExplain(explanation);
    this.scheduleHash();
  }

  renderCharts(): void {
    const surface = getSurface(this.state.surface);
    const floor = Math.min(...surface.minima.map((m) => m.value));
    const gap = Number.isFinite(floor);
    const loss: Series[] = [];
    const grad: Series[] = [];
    for (const t of this.trajectories.values()) {
      const values = [t.startValue - (gap ? floor : 0), ...t.records.map((r) => r.value - (gap ? floor : 0))];
      loss.push({ label: t.contestant.label, colour: t.contestant.colour, dash: t.contestant.dash, values, stopped: t.stopped !== null });
      const [x0, y0] = t.settings.start;
      const g0 = surface.gradient(x0, y0);
      grad.push({ label: t.contestant.label, colour: t.contestant.colour, dash: t.contestant.dash, values: [Math.hypot(g0[0]!, g0[1]!), ...t.records.map((r) => r.gradientNorm)], stopped: t.stopped !== null });
    }
    drawChart($<HTMLCanvasElement>('loss-chart'), loss, { title: gap ? 'f(θ) − f* (log)' : 'f(θ) (log)', log: true });
    drawChart($<HTMLCanvasElement>('grad-chart'), grad, { title: '‖∇f(θ)‖ (log)', log: true });
  }

  renderStatus(): void {
    $('step-count').textContent = `step ${this.state.steps}`;
    const legend = $('legend');
    legend.replaceChildren();
    for (const t of this.trajectories.values()) {
      const item = document.createElement('li');
      const swatch = swatchFor(t.contestant);
      const last = t.records.at(-1);
      const text = document.createElement('span');
      text.textContent = `${t.contestant.label}: f = ${formatValue(last?.value ?? t.startValue)}${t.stopped ? ` — stopped at step ${t.steps} (${t.stopped})` : ''}`;
      if (t.stopped) item.className = 'stopped';
      item.append(swatch, text);
      legend.append(item);
    }
  }

  currentExplanation(): Explanation | null {
    const id = this.explainId;
    const trajectory = id === null ? undefined : this.trajectories.get(id);
    if (!trajectory || trajectory.steps === 0) return null;
    const t = Math.min(this.explainStepIndex ?? trajectory.steps, trajectory.steps);
    return explainStep(trajectory, t);
  }

  renderExplain(explanation: Explanation | null): void {
    const select = $<HTMLSelectElement>('explain-select');
    const wanted = ['', ...this.state.shown];
    if ([...select.options].map((o) => o.value).join() !== wanted.join()) {
      select.replaceChildren(...wanted.map((id) => new Option(id === '' ? '— none —' : findContestant(id)!.label, id)));
    }
    select.value = this.explainId ?? '';
    const trajectory = this.explainId === null ? undefined : this.trajectories.get(this.explainId);
    const stepInput = $<HTMLInputElement>('explain-step');
    stepInput.max = String(Math.max(1, trajectory?.steps ?? 1));
    stepInput.disabled = !trajectory || trajectory.steps === 0;
    if (explanation) stepInput.value = String(explanation.t);
    $('explain-t').textContent = explanation ? `t = ${explanation.t}` : '';
    const table = $<HTMLTableSectionElement>('explain-rows');
    table.replaceChildren();
    $('explain-box').textContent = trajectory ? trajectory.contestant.algorithm : '';
    if (!explanation) return;
    for (const row of explanation.rows) table.append(explainRow(row));
  }

  scheduleHash(): void {
    if (this.hashTimer !== null) return;
    this.hashTimer = window.setTimeout(() => {
      this.hashTimer = null;
      history.replaceState(null, '', toHash(this.state));
    }, 250);
  }

  // -------------------------------------------------------------------------------------------
  // Controls

  buildSurfaceSelect(): void {
    const select = $<HTMLSelectElement>('surface-select');
    for (const s of surfaces) select.append(new Option(s.title, s.name));
    select.value = this.state.surface;
    $('surface-about').textContent = `${getSurface(this.state.surface).formula}. ${getSurface(this.state.surface).about}`;
    select.addEventListener('change', () => {
      const surface = getSurface(select.value);
      this.state.surface = surface.name;
      this.state.start = [...surface.start] as [number, number];
      $('surface-about').textContent = `${surface.formula}. ${surface.about}`;
      this.reset();
    });
  }

  buildContestantList(): void {
    const list = $('contestants');
    list.replaceChildren();
    for (const contestant of contestants) {
      const item = document.createElement('div');
      item.className = 'contestant';
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = this.state.shown.includes(contestant.id);
      box.dataset.id = contestant.id;
      const swatch = swatchFor(contestant);
      label.append(box, swatch, document.createTextNode(contestant.label));
      label.title = contestant.summary;
      item.append(label);
      const details = document.createElement('details');
      const summary = document.createElement('summary');
      summary.textContent = 'options';
      details.append(summary);
      details.append(
        buildControls(
          contestant,
          (control) => optionValue(this.state, contestant, control),
          ({ name, value }) => {
            (this.state.options[contestant.id] ??= {})[name] = value;
            this.rebuild();
            this.render();
          },
        ),
      );
      details.hidden = !box.checked;
      box.addEventListener('change', () => {
        this.state.shown = contestants.filter((c) => (c.id === contestant.id ? box.checked : this.state.shown.includes(c.id))).map((c) => c.id);
        details.hidden = !box.checked;
        if (!box.checked && this.explainId === contestant.id) this.explainId = null;
        this.rebuild();
        this.render();
      });
      item.append(details);
      list.append(item);
    }
  }

  bindTransport(): void {
    $('play').addEventListener('click', () => this.setPlaying(!this.playing));
    $('step').addEventListener('click', () => {
      this.stepAll(1);
      this.render();
    });
    $('reset').addEventListener('click', () => this.reset());
    const speed = $<HTMLInputElement>('speed');
    speed.value = String(this.state.speed);
    $('speed-value').textContent = String(this.state.speed);
    speed.addEventListener('input', () => {
      this.state.speed = Number(speed.value);
      $('speed-value').textContent = speed.value;
      this.scheduleHash();
    });
    const noise = $<HTMLInputElement>('noise');
    noise.value = String(this.state.noise);
    $('noise-value').textContent = String(this.state.noise);
    noise.addEventListener('input', () => {
      this.state.noise = Number(noise.value);
      $('noise-value').textContent = noise.value;
      this.rebuild();
      this.render();
    });
    const seed = $<HTMLInputElement>('seed');
    seed.value = String(this.state.seed);
    seed.addEventListener('change', () => {
      const value = Number(seed.value);
      if (Number.isInteger(value) && value >= LIMITS.seed.min && value <= LIMITS.seed.max) {
        this.state.seed = value;
        this.rebuild();
        this.render();
      } else seed.value = String(this.state.seed);
    });
    $('fair').addEventListener('click', () => void this.fairSweep());
    const select = $<HTMLSelectElement>('explain-select');
    select.addEventListener('change', () => {
      this.explainId = select.value === '' ? null : select.value;
      this.explainStepIndex = null;
      this.render();
    });
    const stepInput = $<HTMLInputElement>('explain-step');
    stepInput.addEventListener('input', () => {
      this.explainStepIndex = Number(stepInput.value);
      this.render();
    });
  }

  /**
   * The race's sweep for each shown contestant: its grid of rates around the contestant's
   * surface centre, each run from this view's start (with this view's noise) for the budget's
   * steps, scored as the race scores a surface run (final f, then steps to the race's target),
   * the best kept (ties to the smaller rate).
   */
  async fairSweep(): Promise<void> {
    const status = $('fair-status');
    this.setPlaying(false);
    const surface = getSurface(this.state.surface);
    const steps = SWEEP_BUDGET.surfaceSteps;
    const target = surfaceTarget(surface);
    let rates = 0;
    for (const id of this.state.shown) {
      const contestant = findContestant(id)!;
      status.textContent = `sweeping ${contestant.label}…`;
      await new Promise((resolve) => setTimeout(resolve, 0));
      const points: SweepPoint[] = lrGrid(contestant.sweepCentre, SWEEP_BUDGET.surfaceLrFactors).map((lr) => {
        const settings = this.settingsFor(contestant);
        const run = new Trajectory(contestant, { ...settings, optimizerOptions: { ...settings.optimizerOptions, lr } });
        run.runTo(steps);
        const reached = run.records.findIndex((r) => r.value <= target);
        const score = run.stopped ? Number.POSITIVE_INFINITY : (run.records.at(-1)?.value ?? run.startValue) + 1e-9 * (reached < 0 ? steps + 1 : reached + 1);
        return { lr, score };
      });
      rates = points.length;
      const best = bestPoint(points);
      if (best) (this.state.options[id] ??= {}).lr = best.lr;
    }
    status.textContent = `each lr chosen as the race does: ${rates} rates around its centre × ${steps} steps on ${surface.title}`;
    this.buildContestantList();
    this.rebuild();
    this.render();
  }

  bindCanvas(): void {
    const canvas = $<HTMLCanvasElement>('surface');
    let dragging = false;
    const place = (event: PointerEvent): void => {
      const rect = canvas.getBoundingClientRect();
      const surface = getSurface(this.state.surface);
      const [x, y] = this.view.transform(surface).toSurface(((event.clientX - rect.left) / rect.width) * canvas.width, ((event.clientY - rect.top) / rect.height) * canvas.height);
      const { domain } = surface;
      this.state.start = [Math.min(Math.max(x, domain.x.min), domain.x.max), Math.min(Math.max(y, domain.y.min), domain.y.max)];
      this.rebuild();
      this.render();
    };
    canvas.addEventListener('pointerdown', (event) => {
      dragging = true;
      canvas.setPointerCapture(event.pointerId);
      place(event);
    });
    canvas.addEventListener('pointermove', (event) => {
      if (dragging) place(event);
    });
    canvas.addEventListener('pointerup', () => (dragging = false));
  }

  bindKeyboard(): void {
    document.addEventListener('keydown', (event) => {
      const target = event.target as HTMLElement;
      const typing = target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement || target instanceof HTMLButtonElement;
      if ($('tab-surface').hidden || typing) return;
      if (event.key === ' ') {
        event.preventDefault();
        this.setPlaying(!this.playing);
      } else if (event.key === 'ArrowRight') {
        event.preventDefault();
        this.stepAll(1);
        this.render();
      }
    });
  }
}

function explainRow(row: ExplainRow): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.key = row.key;
  const symbol = document.createElement('th');
  symbol.scope = 'row';
  symbol.textContent = row.symbol;
  const x = document.createElement('td');
  const y = document.createElement('td');
  if (Array.isArray(row.value)) {
    x.textContent = exact(row.value[0]);
    y.textContent = exact(row.value[1]);
  } else {
    x.textContent = typeof row.value === 'number' ? exact(row.value) : String(row.value);
    x.colSpan = 2;
  }
  const meaning = document.createElement('td');
  meaning.className = 'meaning';
  meaning.textContent = row.meaning;
  tr.append(symbol, x, ...(Array.isArray(row.value) ? [y] : []), meaning);
  return tr;
}

/** Enough digits to read the float32 value back. */
function exact(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(9))) : String(value);
}

// ---------------------------------------------------------------------------------------------
// Tabs, the lab, the MNIST race

function bindTabs(): void {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role=tab]')];
  const show = (tab: HTMLButtonElement): void => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute('aria-selected', String(selected));
      $(other.getAttribute('aria-controls')!).hidden = !selected;
    }
  };
  for (const tab of tabs) tab.addEventListener('click', () => show(tab));
}

function bindLab(): void {
  const button = $<HTMLButtonElement>('lab-run');
  const conditionSelect = $<HTMLSelectElement>('lab-condition');
  const describe = (): void => {
    const condition = Number(conditionSelect.value);
    const optimum = polyakOptimum(condition);
    $('lab-optimum').textContent = `Polyak's tuning for curvatures 1 and ${condition}: lr = ${optimum.lr.toFixed(3)}, μ = ${optimum.momentum.toFixed(3)} (the ring).`;
  };
  describe();
  conditionSelect.addEventListener('change', describe);
  button.addEventListener('click', async () => {
    button.disabled = true;
    const size = Number($<HTMLSelectElement>('lab-size').value);
    const condition = Number(conditionSelect.value);
    const canvases = [$<HTMLCanvasElement>('lab-axis'), $<HTMLCanvasElement>('lab-turned')];
    const bowls = labSurfaces(condition);
    for (let k = 0; k < bowls.length; k++) await computeGrid(bowls[k]!, condition, size, 400, (grid) => drawGrid(canvases[k]!, grid));
    button.disabled = false;
  });
}

async function start(): Promise<void> {
  try {
    await preloadKernels();
  } catch {
    // Without WebAssembly SIMD the library falls back to its plain kernels; the badge says so.
  }
  const backend = kernelBackend();
  // Workers start only once the page yields to its event loop: start them now, not at the first large step.
  startThreads();
  const threadCount = threads();
  const badge = $('backend');
  badge.textContent = `kernels: ${backend === 'wasm' ? 'WebAssembly SIMD' : 'JavaScript'}, ${threadCount} thread${threadCount === 1 ? '' : 's'}`;
  badge.dataset.backend = backend;
  badge.dataset.threads = String(threadCount);
  bindTabs();
  bindLab();
  const playground = new Playground();
  const mnist = new MnistPanel(new URL(DIGITS_FILE, document.baseURI).href);
  window.addEventListener('hashchange', () => {
    if (location.hash === toHash(playground.state)) return;
    location.reload();
  });
  // A small handle for the browser tests and for curious learners in the console.
  Object.assign(window, {
    playground: {
      backend,
      threads: threadCount,
      state: () => JSON.parse(JSON.stringify(playground.state)) as PlaygroundState,
      step: (count: number) => {
        playground.stepAll(count);
        playground.render();
      },
      trajectory: (id: string) => playground.trajectories.get(id)?.records.map((r) => [...r.to]) ?? null,
      gradients: (id: string) => playground.trajectories.get(id)?.records.map((r) => [...r.gradient]) ?? null,
      explain: (id: string, t: number) => {
        playground.explainId = id;
        playground.explainStepIndex = t;
        playground.render();
      },
      mnist,
    },
  });
  document.body.dataset.ready = 'true';
}

void start();
