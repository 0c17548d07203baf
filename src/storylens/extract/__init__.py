"""Extraction stages over an article's clean text: quotes (who said what), and more to come."""
