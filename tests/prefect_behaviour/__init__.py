"""Tests that pin how Prefect itself behaves where the product's design depends on it.

Each module states, in its docstring, the behaviour it pins. The flows they drive live in the
``_flow_*.py`` scripts beside them, run as subprocesses against the session's test server, so that
a process can be SIGKILLed, SIGTERMed or served without touching the pytest process.
"""
