"""Holds the import-only torchaudio stand-in (see torchaudio_shim.py)."""
