"""``python -m pressup.cli``: the same as the ``pressup`` command."""

from pressup.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
