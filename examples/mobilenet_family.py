"""The MobileNet v1 width/resolution family through the Python API.

Run: python examples/mobilenet_family.py
Prints mult-adds and parameters for every (α, ρ) pair of the paper's grid and the
share of 1x1 convolutions, straight from the graph IR.
"""
from hwgen.models.analyze import analyze
from hwgen.models.zoo import mobilenet_v1


def main() -> None:
    print(f"{'model':>22} {'M mult-adds':>12} {'M params':>9} {'1x1 MACs %':>10}")
    for alpha in (1.0, 0.75, 0.5, 0.25):
        for resolution in (224, 192, 160, 128):
            report = analyze(mobilenet_v1(alpha=alpha, resolution=resolution))
            t = report.total
            print(f"{report.model:>22} {t['macs'] / 1e6:12.1f} {t['params'] / 1e6:9.2f} "
                  f"{100 * report.shares['pointwise']['macs']:10.2f}")


if __name__ == "__main__":
    main()
