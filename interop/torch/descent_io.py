"""Move a model and its optimizer state between PyTorch and descent.

Both sides read and write the same two safetensors files:

``model.safetensors``
    the module's ``state_dict()``: one tensor per entry, under its ``state_dict`` name.

``optimizer.safetensors``
    the optimizer's ``state_dict()``. Each tensor of parameter *i*'s state is stored as
    ``state.<i>.<key>`` (0-d tensors such as ``step`` at shape ``[]``); the j-th tensor of a
    list in the state (L-BFGS's history) as ``state.<i>.<key>.<j>``. ``__metadata__`` holds
    ``format`` = ``torch.optim.state_dict``, ``optimizer`` (the class name), ``param_groups``
    (JSON), ``param_names`` (JSON list of the parameters' names in index order, or null) and,
    when the state holds values that are not tensors, ``state`` (JSON, each list tensor written
    as ``{"tensor": name}``). Numbers JSON cannot spell are written as the strings "NaN",
    "Infinity", "-Infinity" and "-0".

Depends on ``torch`` and ``safetensors`` only::

    save_model(model, "model.safetensors")
    save_optimizer(optimizer, "optimizer.safetensors", model=model)
    load_model(model, "model.safetensors")
    load_optimizer(optimizer, "optimizer.safetensors", model=model)
"""

import json
import math
import re

import torch
from safetensors import safe_open
from safetensors.torch import save_file

FORMAT = "torch.optim.state_dict"
_STATE_TENSOR = re.compile(r"state\.(0|[1-9][0-9]*)\.([A-Za-z_][A-Za-z0-9_]*)((?:\.(?:0|[1-9][0-9]*))*)")


def _plain(value):
    """A JSON-able copy: tuples as lists, 1-element tensors as numbers, NaN/±inf/-0 as strings."""
    if torch.is_tensor(value):
        if value.numel() != 1:
            raise TypeError(f"cannot write a tensor of shape {list(value.shape)} as a JSON value")
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value == 0.0 and math.copysign(1.0, value) < 0:
            return "-0"
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf, "-0": -0.0}


def _exact(value):
    """The inverse of _plain for what json.loads returns."""
    if isinstance(value, str):
        return _SPECIAL.get(value, value)
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    return value


def _read(path):
    with safe_open(path, framework="pt") as f:
        return dict(f.metadata() or {}), {name: f.get_tensor(name) for name in f.keys()}


def save_model(model, path):
    """Writes ``model.state_dict()`` to ``path``."""
    save_file({name: t.detach().contiguous() for name, t in model.state_dict().items()}, path)


def load_model(model, path, strict=True):
    """Loads ``path`` into ``model`` (``load_state_dict``; names and shapes must match when strict)."""
    _, tensors = _read(path)
    return model.load_state_dict(tensors, strict=strict)


def _param_names(optimizer, model):
    params = [p for group in optimizer.param_groups for p in group["params"]]
    if model is not None:
        names = {id(p): name for name, p in model.named_parameters()}
        missing = [i for i, p in enumerate(params) if id(p) not in names]
        if missing:
            raise ValueError(f"parameters {missing} of the optimizer are not parameters of the model")
        return [names[id(p)] for p in params]
    if all("param_names" in group for group in optimizer.param_groups):
        return [name for group in optimizer.param_groups for name in group["param_names"]]
    return None


def save_optimizer(optimizer, path, model=None):
    """Writes ``optimizer.state_dict()`` to ``path``; with ``model``, the parameters' names too."""
    state_dict = optimizer.state_dict()
    tensors = {}

    def split(value, name):
        if torch.is_tensor(value):
            tensors[name] = value.detach().contiguous()
            return {"tensor": name}
        if isinstance(value, (list, tuple)):
            return [split(v, f"{name}.{j}") for j, v in enumerate(value)]
        return _plain(value)

    rest = {}
    for index, entry in state_dict["state"].items():
        for key, value in entry.items():
            skeleton = split(value, f"state.{index}.{key}")
            if not torch.is_tensor(value):
                rest.setdefault(str(index), {})[key] = skeleton
    metadata = {
        "format": FORMAT,
        "optimizer": type(optimizer).__name__,
        "param_groups": json.dumps(_plain(state_dict["param_groups"])),
        "param_names": json.dumps(_param_names(optimizer, model)),
    }
    if rest:
        metadata["state"] = json.dumps(rest)
    save_file(tensors, path, metadata=metadata)


def load_optimizer(optimizer, path, model=None):
    """Loads ``path`` into ``optimizer``. It must hold the same class's state; with ``model``,
    the recorded names must be the names of the optimizer's parameters, in order."""
    metadata, tensors = _read(path)
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path}: not an optimizer state dict (format {metadata.get('format')!r})")
    if metadata.get("optimizer") != type(optimizer).__name__:
        raise ValueError(f"{path}: it holds {metadata.get('optimizer')} state, but the optimizer is {type(optimizer).__name__}")
    names = json.loads(metadata.get("param_names", "null"))
    if model is not None and names is not None and names != _param_names(optimizer, model):
        raise ValueError(f"{path}: its parameters are {names}, the optimizer's are {_param_names(optimizer, model)}")

    state, listed = {}, {}
    for name, tensor in tensors.items():
        match = _STATE_TENSOR.fullmatch(name)
        if match is None:
            raise ValueError(f"{path}: tensor {name!r} is not named state.<index>.<key>")
        index, key, suffix = match.groups()
        if suffix:
            listed[name] = tensor
        else:
            state.setdefault(int(index), {})[key] = tensor

    def join(value, where):
        if isinstance(value, list):
            return [join(v, f"{where}[{j}]") for j, v in enumerate(value)]
        if isinstance(value, dict) and list(value) == ["tensor"]:
            if value["tensor"] not in listed:
                raise ValueError(f"{path}: {where} refers to tensor {value['tensor']!r}, which is not in the file")
            return listed.pop(value["tensor"])
        return _exact(value)

    for index, entry in json.loads(metadata.get("state", "{}")).items():
        for key, value in entry.items():
            if key in state.get(int(index), {}):
                raise ValueError(f"{path}: state entry {index}.{key} is both a tensor and a value")
            state.setdefault(int(index), {})[key] = join(value, f"state[{index}].{key}")
    if listed:
        raise ValueError(f"{path}: tensors {sorted(listed)} belong to no list of the state")
    groups = _exact(json.loads(metadata["param_groups"]))
    optimizer.load_state_dict({"state": state, "param_groups": groups})
