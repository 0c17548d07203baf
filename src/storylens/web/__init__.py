"""The web desk and JSON API (``storylens serve``); see :mod:`storylens.web.app`."""
