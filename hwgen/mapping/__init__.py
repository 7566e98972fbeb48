"""Mapping: the plan (PE split, tiling, memories, DRAM placement) and the search that picks it."""
