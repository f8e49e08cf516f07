"""Command line interface: ``spatialnqpf --version | info | report``."""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    from . import __version__
    parser = argparse.ArgumentParser(prog="spatialnqpf", description=__doc__)
    parser.add_argument("--version", action="version", version=f"spatialnqpf {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("info", help="package, data and dependency information")
    args = parser.parse_args(argv)
    if args.command == "info":
        print(f"spatialnqpf {__version__}")
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
