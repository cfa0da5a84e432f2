"""optivus run | optivus transcribe FILE"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="optivus", description="Optivus media-AI server")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start NATS, every service and the gateway on loopback")
    tr = sub.add_parser("transcribe", help="transcribe a file with the Whisper service")
    tr.add_argument("file")
    tr.add_argument("--address", default="127.0.0.1:50052", help="Whisper service address")
    tr.add_argument("--format", choices=["segments", "text", "srt", "vtt"], default="segments")
    tr.add_argument("--language", help="language code; detected when omitted")
    tr.add_argument("--upload", action="store_true",
                    help="send the file's bytes instead of its path (for files outside the media folders)")
    args = parser.parse_args(argv)
    if args.command == "run":
        from .launcher import run

        return run()
    from . import transcribe

    return transcribe.main(args)


if __name__ == "__main__":
    sys.exit(main())
