"""``python -m storylens ...`` runs the ``storylens`` command (same as the installed script)."""
from storylens.cli import main

if __name__ == "__main__":
    main()
