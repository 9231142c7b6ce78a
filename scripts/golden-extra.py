"""Golden cases for options that test/fixtures/golden-2.14 never moves off their defaults.

Run with PyTorch 2.14 (a Debian sid chroot, as the project's notes describe):
    python3 scripts/golden-extra.py test/fixtures/golden-2.14-extra/optimizers.json
The output has the format of golden-2.14/optimizers.json (its README), so the same replay runs it.
Every number comes from PyTorch on CPU in float32, seeded: the file is reproducible.
"""
import json
import sys
import torch

torch.manual_seed(2014)


def tensor_json(t):
    return {"shape": list(t.shape), "data": [float(x) for x in t.detach().reshape(-1).tolist()]}


def value_json(v):
    if isinstance(v, torch.Tensor):
        return tensor_json(v)
    if isinstance(v, (list, tuple)):
        return [value_json(x) for x in v]
    if isinstance(v, dict):
        return {str(k): value_json(x) for k, x in v.items()}
    return v


def dense_case(name, cls, options, shapes, steps=8):
    params = [torch.randn(*s) for s in shapes]
    live = [p.clone().requires_grad_(True) for p in params]
    opt = cls(live, **options)
    grads, trajectory = [], []
    for _ in range(steps):
        step_grads = [torch.randn(*p.shape) for p in live]
        for p, g in zip(live, step_grads):
            p.grad = g.clone()
        opt.step()
        grads.append([tensor_json(g) for g in step_grads])
        trajectory.append([[float(x) for x in p.detach().reshape(-1).tolist()] for p in live])
    return {
        "name": name, "optimizer": cls.__name__, "options": options,
        "params": [tensor_json(p) for p in params], "steps": steps, "grads": grads,
        "trajectory": trajectory, "state_dict": value_json(opt.state_dict()),
    }


def sparse_case(name, cls, options, rows, width, steps=8):
    params = [torch.randn(rows, width)]
    live = [p.clone().requires_grad_(True) for p in params]
    opt = cls(live, **options)
    grads, trajectory = [], []
    for _ in range(steps):
        indices = torch.randint(0, rows, (3,))
        values = torch.randn(3, width)
        live[0].grad = torch.sparse_coo_tensor(indices.unsqueeze(0), values, (rows, width))
        opt.step()
        grads.append([{"sparse": True, "indices": [int(i) for i in indices.tolist()], "values": tensor_json(values)}])
        trajectory.append([[float(x) for x in live[0].detach().reshape(-1).tolist()]])
    return {
        "name": name, "optimizer": cls.__name__, "options": options,
        "params": [tensor_json(p) for p in params], "steps": steps, "grads": grads,
        "trajectory": trajectory, "state_dict": value_json(opt.state_dict()),
    }


def quadratic_case(name, cls, options, shapes, steps=3):
    params = [torch.randn(*s) for s in shapes]
    a = [torch.rand(*s) + 0.2 for s in shapes]
    b = [torch.randn(*s) for s in shapes]
    live = [p.clone().requires_grad_(True) for p in params]
    opt = cls(live, **options)

    def closure():
        opt.zero_grad()
        loss = sum(0.5 * (ai * (w - bi) ** 2).sum() for w, ai, bi in zip(live, a, b))
        loss.backward()
        return loss

    losses, trajectory = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        trajectory.append([[float(x) for x in p.detach().reshape(-1).tolist()] for p in live])
    return {
        "name": name, "optimizer": cls.__name__, "options": options,
        "params": [tensor_json(p) for p in params], "steps": steps,
        "closure": {"kind": "quadratic", "a": [tensor_json(x) for x in a], "b": [tensor_json(x) for x in b], "losses": losses},
        "trajectory": trajectory, "state_dict": value_json(opt.state_dict()),
    }


optim = torch.optim
cases = [
    dense_case("rmsprop/lr_eps_momentum", optim.RMSprop, {"lr": 0.02, "eps": 1e-4, "momentum": 0.5}, [(3, 4), (5,)]),
    dense_case("adamw/betas_eps_maximize", optim.AdamW, {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-4, "maximize": True, "weight_decay": 0.05}, [(3, 4), (5,)]),
    dense_case("adamax/eps", optim.Adamax, {"lr": 0.01, "eps": 1e-3}, [(3, 4), (5,)]),
    sparse_case("sparseadam/betas_eps", optim.SparseAdam, {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-4}, 8, 3),
    quadratic_case("lbfgs/tolerances", optim.LBFGS, {"lr": 1, "max_iter": 10, "max_eval": 7, "tolerance_grad": 1e-3, "tolerance_change": 1e-4, "history_size": 4}, [(3, 4), (5,)]),
]
# Written to a file: PyTorch may print warnings to stdout on some machines.
with open(sys.argv[1], "w") as out:
    json.dump({"generator": f"PyTorch {torch.__version__} on CPU, float32 (scripts/golden-extra.py)", "set": "extra", "cases": cases}, out)
