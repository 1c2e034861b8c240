"""hrdwatch: a source monitor for human-rights researchers."""

__version__ = "0.1.0"
