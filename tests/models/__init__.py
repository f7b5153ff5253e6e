"""Tests that mirror ``carbontools/models/`` one module each (test_casa.py tests models/casa.py, ...)."""
