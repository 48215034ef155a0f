"""Allow ``python -m wxplan_cli``."""

from wxplan_cli.cli import main

if __name__ == "__main__":
    main()
