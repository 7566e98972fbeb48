"""Simulation harnesses shipped with hwgen (installed as ``hwgen.sim``): the cocotb testbench and its bus models."""
