"""Export a PyTorch conv stack as a Receptive core file, for `receptive fit --core FILE`.

The stack must be a torch.nn.Sequential of blocks: Conv2d [→ BatchNorm2d] → activation
(ReLU, ELU, Softplus, Identity) [→ MaxPool2d/AvgPool2d with kernel_size == stride]. That covers the
first blocks of torchvision's VGG networks (`vgg16().features[:k]`). Layers are named conv<k>,
bn<k> for block k; weights keep PyTorch's layouts (docs/model-file.md).

usage:
  python scripts/export_torch_core.py --torchvision vgg11 --modules 6 --out core.h5 [--weights DEFAULT]
  python -c "from export_torch_core import export; export(my_sequential, 3, 'core.h5')"
needs: torch, h5py (and torchvision for --torchvision)
"""
import argparse, json
import h5py, torch.nn as nn


def blocks_of(seq):
    blocks, params, state, k = [], {}, {}, 0
    for m in seq:
        if isinstance(m, nn.Conv2d):
            if m.stride[0] != m.stride[1] or m.kernel_size[0] != m.kernel_size[1] or m.padding[0] != m.padding[1] \
                    or m.dilation[0] != m.dilation[1] or m.groups != 1 or isinstance(m.padding, str):
                raise SystemExit(f"unsupported Conv2d {m}: square kernels, symmetric integer padding, groups=1 only")
            k += 1
            blocks.append({"channels": m.out_channels, "kernel": m.kernel_size[0], "stride": m.stride[0],
                           "dilation": m.dilation[0], "padding": m.padding[0], "bias": m.bias is not None,
                           "batchNorm": False, "activation": "identity", "pool": "none", "poolSize": 2})
            params[f"conv{k}/weight"] = m.weight.detach().numpy()
            if m.bias is not None: params[f"conv{k}/bias"] = m.bias.detach().numpy()
        elif not blocks:
            raise SystemExit(f"{m}: the stack must start with a Conv2d")
        elif isinstance(m, nn.BatchNorm2d):
            if abs(m.eps - 1e-5) > 1e-12: raise SystemExit("BatchNorm2d eps must be 1e-5")
            blocks[-1]["batchNorm"] = True
            params[f"bn{k}/weight"] = m.weight.detach().numpy(); params[f"bn{k}/bias"] = m.bias.detach().numpy()
            state[f"bn{k}/running_mean"] = m.running_mean.numpy(); state[f"bn{k}/running_var"] = m.running_var.numpy()
        elif isinstance(m, (nn.ReLU, nn.ELU, nn.Softplus, nn.Identity)):
            if isinstance(m, nn.ELU) and m.alpha != 1.0: raise SystemExit("ELU alpha must be 1")
            if isinstance(m, nn.Softplus) and (m.beta != 1 or m.threshold != 20): raise SystemExit("Softplus(beta=1, threshold=20) only")
            blocks[-1]["activation"] = {nn.ReLU: "relu", nn.ELU: "elu", nn.Softplus: "softplus", nn.Identity: "identity"}[type(m)]
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            ks = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
            st = m.stride if isinstance(m.stride, int) else m.stride[0]
            pad = m.padding if isinstance(m.padding, int) else m.padding[0]
            if ks != st or pad != 0: raise SystemExit(f"{m}: pooling with kernel_size == stride and no padding only")
            blocks[-1]["pool"] = "max" if isinstance(m, nn.MaxPool2d) else "avg"; blocks[-1]["poolSize"] = ks
        elif isinstance(m, nn.Dropout):
            continue  # inactive in evaluation
        else:
            raise SystemExit(f"unsupported module {m}")
    return blocks, params, state


def export(seq, input_channels, path):
    seq = seq.eval()
    blocks, params, state = blocks_of(seq)
    cfg = {"format": "receptive-core", "version": 1, "inputChannels": int(input_channels), "blocks": blocks}
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "receptive-core"
        f.attrs["config"] = json.dumps(cfg)
        for k, v in params.items(): f[f"params/{k}"] = v.astype("float32")
        for k, v in state.items(): f[f"state/{k}"] = v.astype("float32")
    return cfg


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--torchvision", required=True, help="a torchvision model with .features, e.g. vgg11, vgg16_bn")
    p.add_argument("--modules", type=int, required=True, help="how many modules of .features to keep")
    p.add_argument("--weights", default=None, help="torchvision weights name (e.g. DEFAULT); needs them cached locally")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    import torchvision
    net = getattr(torchvision.models, a.torchvision)(weights=a.weights)
    print(json.dumps(export(net.features[:a.modules], 3, a.out)))
