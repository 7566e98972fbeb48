"""Arithmetic shared by every view: fixed-point semantics, numpy kernels, the float reference."""
