/**
 * Reverse-mode automatic differentiation.
 *
 * Every op that has an input requiring a gradient records a `GraphNode` on its output: the
 * inputs and a closure that maps the output's gradient to one gradient per input. `backward`
 * walks the nodes in reverse topological order, summing the gradients that reach each tensor,
 * and accumulates into `.grad` of the leaves (tensors created by the user with
 * `requiresGrad`), as PyTorch does. The closures run with recording off, so they use the
 * ordinary tensor ops. After a backward pass the graph is freed unless `retainGraph` is set;
 * walking a freed graph is an error, as in PyTorch.
 */
import type { Tensor } from '../tensor/tensor.js';
import { SparseRows, type Gradient } from '../tensor/sparse.js';
import { sameShape, shapeString } from '../tensor/shape.js';

export type BackwardFn = (gradOutput: Tensor) => ReadonlyArray<Gradient | null>;

export class GraphNode {
  freed = false;
  constructor(
    readonly op: string,
    readonly inputs: readonly Tensor[],
    private backwardFn: BackwardFn | null,
  ) {}

  gradients(gradOutput: Tensor): ReadonlyArray<Gradient | null> {
    if (this.freed || this.backwardFn === null) {
      throw new Error(
        `Trying to backward through the graph a second time (op ${this.op}): its buffers were freed after the first backward. Pass { retainGraph: true } to the first backward call.`,
      );
    }
    return this.backwardFn(gradOutput);
  }

  free(): void {
    this.freed = true;
    this.backwardFn = null;
  }
}

let gradEnabled = true;

/** Whether ops currently record a graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` with graph recording off (PyTorch's `torch.no_grad()`), and returns its result. */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Runs `fn` with graph recording on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Attaches `backward` to `output` when recording is on and some input needs a gradient.
 * Ops call this right after computing their forward value.
 */
export function record(output: Tensor, op: string, inputs: readonly Tensor[], backward: BackwardFn): Tensor {
  if (!gradEnabled) return output;
  if (!inputs.some((t) => t.requiresGrad)) return output;
  output.requiresGrad = true;
  output.node = new GraphNode(op, inputs, backward);
  return output;
}

export interface BackwardOptions {
  /** Keep the graph so that backward can run through it again. */
  retainGraph?: boolean;
}

/** Reverse topological order of the graph below `root` (root first). */
function reverseTopological(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS: deep graphs (long training loops unrolled by hand) must not overflow the stack.
  const stack: Array<[Tensor, number]> = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [tensor, next] = top;
    const inputs = tensor.node?.inputs ?? [];
    if (next < inputs.length) {
      top[1] = next + 1;
      const input = inputs[next]!;
      if (input.requiresGrad && !visited.has(input)) {
        visited.add(input);
        stack.push([input, 0]);
      }
    } else {
      stack.pop();
      order.push(tensor);
    }
  }
  return order.reverse();
}

export function runBackward(root: Tensor, gradient: Tensor, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error('backward: the tensor does not require grad and has no graph (did a parameter miss requiresGrad, or was it computed inside noGrad?)');
  }
  if (!sameShape(gradient.shape, root.shape)) {
    throw new RangeError(`backward: gradient shape ${shapeString(gradient.shape)} does not match the tensor's shape ${shapeString(root.shape)}`);
  }
  const order = reverseTopological(root);
  const pending = new Map<Tensor, Gradient>();
  pending.set(root, gradient);
  noGrad(() => {
    for (const tensor of order) {
      const grad = pending.get(tensor);
      if (grad === undefined) continue;
      pending.delete(tensor);
      const node = tensor.node;
      if (node === null) {
        tensor.accumulateGrad(grad);
        continue;
      }
      if (tensor.retainsGrad) tensor.accumulateGrad(grad);
      const inputGrads = node.gradients(grad instanceof SparseRows ? grad.toDense() : grad);
      node.inputs.forEach((input, i) => {
        const g = inputGrads[i];
        if (!input.requiresGrad || g === null || g === undefined) return;
        if (!sameShape(g.shape, input.shape)) {
          throw new Error(`internal: ${node.op} produced a gradient of shape ${shapeString(g.shape)} for an input of shape ${shapeString(input.shape)}`);
        }
        const previous = pending.get(input);
        pending.set(input, previous === undefined ? g : combine(previous, g));
      });
      if (!options.retainGraph) node.free();
    }
  });
}

/** The sum of two gradients for one tensor: row-sparse stays sparse, anything else goes dense. */
function combine(a: Gradient, b: Gradient): Gradient {
  if (a instanceof SparseRows && b instanceof SparseRows) return a.concat(b);
  const da = a instanceof SparseRows ? a.toDense() : a;
  const db = b instanceof SparseRows ? b.toDense() : b;
  return da.add(db);
}
