"""Verilog RTL generator: the RTL plan, its memories, rendering."""
