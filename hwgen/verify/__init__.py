"""Verification runners: C-simulation (g++), cocotb RTL simulation, Yosys synthesis."""
