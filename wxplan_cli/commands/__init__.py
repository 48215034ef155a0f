"""Thin command layers: parse options, call the library, render the result."""
