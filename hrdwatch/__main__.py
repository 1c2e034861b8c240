"""The `hrdwatch` command: the console script and ``python -m hrdwatch`` both start here.

The garbage collector is paused while the command line imports its libraries. Start-up
makes some 180,000 objects that live as long as the process, and next to no garbage, so the
collections it would trigger (about 280, two of them full) only walk the same heap again:
about a tenth of a crawl's start-up, which runs on one core before its parts fork. The CLI
turns the collector back on when a command starts (hrdwatch.cli.main); a crawl does so once
its start-up heap is frozen (hrdwatch.crawler.run.preload), the pattern the gc
documentation gives for processes that fork after start-up.
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    from hrdwatch.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
